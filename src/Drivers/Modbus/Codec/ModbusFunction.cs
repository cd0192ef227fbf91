namespace Gateway.Drivers.Modbus.Codec;

/// <summary>Function codes Gateway speaks (Modbus Application Protocol v1.1b3, section 6).</summary>
public static class ModbusFunction
{
    public const byte ReadCoils = 0x01;
    public const byte ReadDiscreteInputs = 0x02;
    public const byte ReadHoldingRegisters = 0x03;
    public const byte ReadInputRegisters = 0x04;
    public const byte WriteSingleCoil = 0x05;
    public const byte WriteSingleRegister = 0x06;
    public const byte WriteMultipleCoils = 0x0F;
    public const byte WriteMultipleRegisters = 0x10;
    public const byte ReadWriteMultipleRegisters = 0x17;

    /// <summary>Encapsulated interface transport; with MEI type 0x0E it is Read Device Identification.</summary>
    public const byte EncapsulatedInterface = 0x2B;

    /// <summary>MEI type of Read Device Identification (section 6.21).</summary>
    public const byte MeiReadDeviceIdentification = 0x0E;

    /// <summary>Set on the function code of an exception reply (section 7).</summary>
    public const byte ExceptionFlag = 0x80;

    /// <summary>True for the function codes that write and so may be broadcast (unit 0).</summary>
    public static bool IsWrite(byte function) =>
        function is WriteSingleCoil or WriteSingleRegister or WriteMultipleCoils or WriteMultipleRegisters;
}

/// <summary>The specification's size limits (sections 4.1 and 6).</summary>
public static class ModbusLimits
{
    /// <summary>Functions 01 and 02: at most 2000 bits per read (0x7D0).</summary>
    public const int MaxReadBits = 2000;

    /// <summary>Functions 03, 04 and the read part of 23: at most 125 registers (0x7D).</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>Function 15: at most 1968 coils (0x7B0).</summary>
    public const int MaxWriteBits = 1968;

    /// <summary>Function 16: at most 123 registers (0x7B).</summary>
    public const int MaxWriteRegisters = 123;

    /// <summary>Function 23, write part: at most 121 registers (0x79).</summary>
    public const int MaxReadWriteWriteRegisters = 121;

    /// <summary>A PDU is at most 253 bytes (RTU ADU 256 minus unit and CRC).</summary>
    public const int MaxPduLength = 253;

    /// <summary>Unit + PDU + CRC.</summary>
    public const int MaxRtuAduLength = 256;

    /// <summary>MBAP header (7 bytes, unit included) + PDU.</summary>
    public const int MaxTcpAduLength = 260;

    /// <summary>Unit 0 addresses every slave on a serial line; they apply writes and do not reply.</summary>
    public const byte BroadcastUnit = 0;

    /// <summary>Highest unit id a serial slave may have (serial line specification, section 2.2).</summary>
    public const byte MaxUnit = 247;
}
