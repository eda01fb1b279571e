using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// What a failing libmemcov call means in .NET: its code (enum mcov_status) picks the exception,
/// its message (mcov_last_error, which says what to do) becomes the exception's.
/// </summary>
internal static class NativeStatus
{
    /// <summary>mcov_last_error of the calling thread: "" after a call that succeeded.</summary>
    internal static string LastError => Marshal.PtrToStringUTF8(Interop.Memcov.LastError()) ?? string.Empty;

    /// <summary>Throws for a failing call on region <paramref name="name"/> at <paramref name="path"/>.</summary>
    /// <param name="status">The call's negative code.</param>
    /// <param name="name">The region name.</param>
    /// <param name="path">The region's file.</param>
    /// <param name="foundVersion">The file's format version, for <see cref="RegionFormatException"/>; -1 when unknown.</param>
    [DoesNotReturn]
    internal static void ThrowForRegion(int status, string name, string path, long foundVersion = -1) =>
        throw ForRegion(status, name, path, foundVersion);

    /// <summary>The exception of a failing call on region <paramref name="name"/>.</summary>
    /// <param name="status">The call's negative code.</param>
    /// <param name="name">The region name.</param>
    /// <param name="path">The region's file.</param>
    /// <param name="foundVersion">The file's format version, for <see cref="RegionFormatException"/>; -1 when unknown.</param>
    /// <param name="message">The call's message, when it was read before another call; else <see cref="LastError"/>.</param>
    internal static Exception ForRegion(int status, string name, string path, long foundVersion = -1, string? message = null)
    {
        message ??= LastError;
        if (message.Length == 0)
        {
            message = $"memcov call for region '{name}' failed with status {status}";
        }

        return status switch
        {
            Interop.Memcov.MCOV_E_INVALID_NAME or Interop.Memcov.MCOV_E_INVALID_ARG => new ArgumentException(message, nameof(name)),
            Interop.Memcov.MCOV_E_NOT_FOUND => RegionNotFoundException.FromRuntime(name, path, message),
            Interop.Memcov.MCOV_E_EXISTS => new RegionExistsException(name, path),
            Interop.Memcov.MCOV_E_CORRUPT => RegionCorruptException.FromRuntime(path, message),
            Interop.Memcov.MCOV_E_VERSION => RegionFormatException.FromRuntime(path, RegionFormat.Version, foundVersion, message),
            Interop.Memcov.MCOV_E_PERMISSION => new UnauthorizedAccessException(message),
            _ => new IOException(message), // MCOV_E_NO_SPACE, MCOV_E_SYSTEM
        };
    }
}
