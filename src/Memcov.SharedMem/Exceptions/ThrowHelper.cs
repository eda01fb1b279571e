using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>Throw helpers, so the members that check stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowCorrupt(string path, string problem) =>
        throw new RegionCorruptException(path, problem);

    [DoesNotReturn]
    internal static void ThrowPermission(string path, string problem) =>
        throw new UnauthorizedAccessException(
            $"Refusing the region file '{path}': {problem}. A region must be a regular file owned by " +
            "the user that opens it; remove what is at that path and create the region again as this user.");

    [DoesNotReturn]
    internal static void ThrowSystem(string path, string operation, int errno) =>
        throw new IOException(
            $"{operation} failed on the region file '{path}': {Marshal.GetPInvokeErrorMessage(errno)} " +
            $"(errno {errno}). Check the file and its directory ({RegionName.DirectoryVariable}).");
}
