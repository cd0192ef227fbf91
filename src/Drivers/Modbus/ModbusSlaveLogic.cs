using System.Buffers.Binary;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// What a slave answers to one request PDU: validates lengths and the specification's quantity
/// limits, calls the unit's data model and writes the reply PDU (or an exception reply). Pure: the
/// transports of <see cref="ModbusSlave"/> frame what it returns.
/// </summary>
public static class ModbusSlaveLogic
{
    /// <summary>Handles <paramref name="request"/> for <paramref name="model"/>; returns the reply PDU length written to <paramref name="reply"/> (at least 253 bytes).</summary>
    public static int Handle(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (request.IsEmpty)
        {
            return 0;
        }

        var function = request[0];
        switch (function)
        {
            case ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs:
                return ReadBits(model, request, reply);
            case ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters:
                return ReadRegisters(model, request, reply);
            case ModbusFunction.WriteSingleCoil:
                return WriteSingleCoil(model, request, reply);
            case ModbusFunction.WriteSingleRegister:
                return WriteSingleRegister(model, request, reply);
            case ModbusFunction.WriteMultipleCoils:
                return WriteMultipleCoils(model, request, reply);
            case ModbusFunction.WriteMultipleRegisters:
                return WriteMultipleRegisters(model, request, reply);
            case ModbusFunction.ReadWriteMultipleRegisters:
                return ReadWriteMultipleRegisters(model, request, reply);
            case ModbusFunction.EncapsulatedInterface when request.Length >= 2 && request[1] == ModbusFunction.MeiReadDeviceIdentification:
                return ReadDeviceIdentification(model, request, reply);
            default:
                return Exception(reply, function, ModbusExceptionCode.IllegalFunction);
        }
    }

    /// <summary>Writes an exception reply (function | 0x80, code); returns its length, 2.</summary>
    public static int Exception(Span<byte> reply, byte function, ModbusExceptionCode code)
    {
        reply[0] = (byte)(function | ModbusFunction.ExceptionFlag);
        reply[1] = (byte)code;
        return 2;
    }

    /// <summary>
    /// Checks a read request (function, address, quantity: 5 bytes) against the quantity limit and
    /// the 64 Ki address space; null when it may be served, else the exception code to answer.
    /// </summary>
    private static ModbusExceptionCode? CheckReadRequest(ReadOnlySpan<byte> request, int maxQuantity, out int address, out int quantity)
    {
        address = 0;
        quantity = 0;
        if (request.Length != 5)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]); // 01-02 starting address
        quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]); // 03-04 quantity
        if (quantity < 1 || quantity > maxQuantity)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        return address + quantity > 0x10000 ? ModbusExceptionCode.IllegalDataAddress : null;
    }

    private static int ReadBits(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        if (CheckReadRequest(request, ModbusLimits.MaxReadBits, out var address, out var quantity) is { } refused)
        {
            return Exception(reply, function, refused);
        }

        Span<bool> bits = stackalloc bool[quantity];
        var error = function == ModbusFunction.ReadCoils ? model.ReadCoils(address, bits) : model.ReadDiscreteInputs(address, bits);
        if (error is { } code)
        {
            return Exception(reply, function, code);
        }

        var byteCount = (quantity + 7) / 8;
        reply[0] = function;
        reply[1] = (byte)byteCount; // 01 byte count
        ModbusPdu.PackBits(bits, reply.Slice(2, byteCount)); // 02.. status, low bit first
        return 2 + byteCount;
    }

    private static int ReadRegisters(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        if (CheckReadRequest(request, ModbusLimits.MaxReadRegisters, out var address, out var quantity) is { } refused)
        {
            return Exception(reply, function, refused);
        }

        Span<ushort> registers = stackalloc ushort[quantity];
        var error = function == ModbusFunction.ReadHoldingRegisters ? model.ReadHoldingRegisters(address, registers) : model.ReadInputRegisters(address, registers);
        if (error is { } code)
        {
            return Exception(reply, function, code);
        }

        reply[0] = function;
        reply[1] = (byte)(quantity * 2); // 01 byte count
        ModbusPdu.WriteRegisters(registers, reply[2..]); // 02.. registers, big-endian
        return 2 + (quantity * 2);
    }

    private static int WriteSingleCoil(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var value = request.Length == 5 ? BinaryPrimitives.ReadUInt16BigEndian(request[3..]) : 1;
        if (value is not (0x0000 or 0xFF00))
        {
            // Section 6.5: only 0xFF00 (on) and 0x0000 (off) are valid.
            return Exception(reply, request[0], ModbusExceptionCode.IllegalDataValue);
        }

        ReadOnlySpan<bool> bit = [value == 0xFF00];
        var error = model.WriteCoils(BinaryPrimitives.ReadUInt16BigEndian(request[1..]), bit);
        return error is { } code ? Exception(reply, request[0], code) : Echo(request, reply);
    }

    private static int WriteSingleRegister(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (request.Length != 5)
        {
            return Exception(reply, request[0], ModbusExceptionCode.IllegalDataValue);
        }

        ReadOnlySpan<ushort> value = [BinaryPrimitives.ReadUInt16BigEndian(request[3..])];
        var error = model.WriteHoldingRegisters(BinaryPrimitives.ReadUInt16BigEndian(request[1..]), value);
        return error is { } code ? Exception(reply, request[0], code) : Echo(request, reply);
    }

    private static int WriteMultipleCoils(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        if (request.Length < 6)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        var address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        var quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        var byteCount = request[5];
        if (quantity is < 1 or > ModbusLimits.MaxWriteBits || byteCount != (quantity + 7) / 8 || request.Length != 6 + byteCount)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (address + quantity > 0x10000)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<bool> bits = stackalloc bool[quantity];
        ModbusPdu.UnpackBits(request.Slice(6, byteCount), bits);
        var error = model.WriteCoils(address, bits);
        return error is { } code ? Exception(reply, function, code) : Echo(request, reply);
    }

    private static int WriteMultipleRegisters(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        if (request.Length < 6)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        var address = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        var quantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        var byteCount = request[5];
        if (quantity is < 1 or > ModbusLimits.MaxWriteRegisters || byteCount != quantity * 2 || request.Length != 6 + byteCount)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (address + quantity > 0x10000)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<ushort> registers = stackalloc ushort[quantity];
        ModbusPdu.ReadRegisters(request.Slice(6, byteCount), registers);
        var error = model.WriteHoldingRegisters(address, registers);
        return error is { } code ? Exception(reply, function, code) : Echo(request, reply);
    }

    private static int ReadWriteMultipleRegisters(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        if (request.Length < 10)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        var readAddress = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        var readQuantity = BinaryPrimitives.ReadUInt16BigEndian(request[3..]);
        var writeAddress = BinaryPrimitives.ReadUInt16BigEndian(request[5..]);
        var writeQuantity = BinaryPrimitives.ReadUInt16BigEndian(request[7..]);
        var byteCount = request[9];
        if (readQuantity is < 1 or > ModbusLimits.MaxReadRegisters
            || writeQuantity is < 1 or > ModbusLimits.MaxReadWriteWriteRegisters
            || byteCount != writeQuantity * 2 || request.Length != 10 + byteCount)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (readAddress + readQuantity > 0x10000 || writeAddress + writeQuantity > 0x10000)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataAddress);
        }

        // Section 6.17: the write is performed before the read.
        Span<ushort> written = stackalloc ushort[writeQuantity];
        ModbusPdu.ReadRegisters(request.Slice(10, byteCount), written);
        if (model.WriteHoldingRegisters(writeAddress, written) is { } writeError)
        {
            return Exception(reply, function, writeError);
        }

        Span<ushort> read = stackalloc ushort[readQuantity];
        if (model.ReadHoldingRegisters(readAddress, read) is { } readError)
        {
            return Exception(reply, function, readError);
        }

        reply[0] = function;
        reply[1] = (byte)(readQuantity * 2);
        ModbusPdu.WriteRegisters(read, reply[2..]);
        return 2 + (readQuantity * 2);
    }

    private static int ReadDeviceIdentification(IModbusDataModel model, ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var function = request[0];
        var objects = model.DeviceIdentification;
        if (objects is null)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalFunction);
        }

        if (request.Length != 4)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        var code = request[2];
        var objectId = request[3];
        if (code is < 1 or > 4)
        {
            return Exception(reply, function, ModbusExceptionCode.IllegalDataValue);
        }

        // Section 6.21: basic objects are 0x00-0x02, regular up to 0x7F, extended 0x80-0xFF.
        var last = code switch { 1 => 0x02, 2 => 0x7F, _ => 0xFF };
        var ids = objects.Keys.Where(id => id <= last).Order().ToList();
        if (code == 4)
        {
            if (!objects.ContainsKey(objectId))
            {
                return Exception(reply, function, ModbusExceptionCode.IllegalDataAddress);
            }

            ids = [objectId];
        }
        else if (ids.Contains(objectId))
        {
            ids = ids.SkipWhile(id => id != objectId).ToList();
        }

        var maxId = objects.Keys.DefaultIfEmpty((byte)0).Max();
        reply[0] = function;
        reply[1] = ModbusFunction.MeiReadDeviceIdentification;
        reply[2] = code; // 02 read device id code
        reply[3] = maxId <= 0x02 ? (byte)0x81 : maxId <= 0x7F ? (byte)0x82 : (byte)0x83; // 03 conformity: level, stream and individual access
        reply[4] = 0x00; // 04 more follows
        reply[5] = 0x00; // 05 next object id
        var offset = 7;
        byte count = 0;
        foreach (var id in ids)
        {
            var value = objects[id];
            var length = Math.Min(value.Length, ModbusLimits.MaxPduLength - 9);
            if (offset + 2 + length > ModbusLimits.MaxPduLength)
            {
                reply[4] = 0xFF;
                reply[5] = id;
                break;
            }

            reply[offset] = id;
            reply[offset + 1] = (byte)length;
            for (var i = 0; i < length; i++)
            {
                reply[offset + 2 + i] = value[i] < 0x80 ? (byte)value[i] : (byte)'?';
            }

            offset += 2 + length;
            count++;
        }

        reply[6] = count; // 06 number of objects
        return offset;
    }

    private static int Echo(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        request[..5].CopyTo(reply);
        return 5;
    }
}
