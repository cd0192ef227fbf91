using System.Net;
using System.Net.Sockets;
using Gateway.Drivers.Uhppote.Codec;

namespace Gateway.Drivers.Uhppote;

/// <summary>
/// Finds the boards on a segment: get-controller with serial 0 sent to a broadcast address; every board
/// that hears it answers with its serial number and settings. The only broadcast Gateway sends.
/// </summary>
public static class UhppoteDiscovery
{
    /// <summary>Where discovery is sent by default: 255.255.255.255:60000.</summary>
    public static IPEndPoint DefaultBroadcast => new(IPAddress.Broadcast, UhppoteCodec.DefaultPort);

    /// <summary>
    /// Sends one discovery request to <paramref name="broadcast"/> and collects the answers that come
    /// within <paramref name="wait"/>, one per serial number, in serial order.
    /// </summary>
    /// <exception cref="DeviceConnectionException">The request could not be sent (no route, broadcast not allowed).</exception>
    public static async Task<IReadOnlyList<UhppoteControllerInfo>> FindAsync(IPEndPoint broadcast, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broadcast);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero);
        var device = $"udp://{broadcast}";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
        var found = new SortedDictionary<uint, UhppoteControllerInfo>();
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            await socket.SendToAsync(new GetControllerRequest(0).Encode(), SocketFlags.None, broadcast, cancellationToken);
            using var window = new CancellationTokenSource(wait);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, window.Token);
            var buffer = new byte[1024];
            while (true)
            {
                SocketReceiveFromResult r;
                try
                {
                    r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), linked.Token);
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
                {
                    continue; // an ICMP error for the broadcast (Windows reports it here): keep listening
                }

                if (UhppoteCodec.TryReadHeader(buffer.AsSpan(0, r.ReceivedBytes), out var function, out var serial)
                    && function == UhppoteFunction.GetController
                    && serial != 0
                    && UhppoteCodec.TryDecodeResponse(buffer.AsSpan(0, r.ReceivedBytes), out var response, out _)
                    && response is GetControllerResponse info)
                {
                    found[serial] = info.ToInfo();
                }
            }
        }
        catch (SocketException ex)
        {
            throw new DeviceConnectionException(device, $"cannot send discovery to {broadcast}: {ex.Message}", ex);
        }

        return [.. found.Values];
    }
}
