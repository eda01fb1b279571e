using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>Counts the covered edges of a map: its non-zero bytes.</summary>
    /// <param name="map">The map.</param>
    /// <returns>The number of non-zero bytes in <paramref name="map"/>.</returns>
    public static long CountCovered(ReadOnlySpan<byte> map) => CountCovered(map, WidestWidth);

    /// <inheritdoc cref="CountCovered(ReadOnlySpan{byte})"/>
    /// <param name="map">The map.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static long CountCovered(ReadOnlySpan<byte> map, KernelWidth width)
    {
        ref byte m = ref MemoryMarshal.GetReference(map);
        return Run<CoveredStep>(ref m, ref m, ref m, (nuint)map.Length, width);
    }

    /// <summary>Counts the non-zero bytes of <c>a</c>: a compare with zero gives one mask bit per zero byte.</summary>
    private readonly struct CoveredStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d) =>
            Vector512<byte>.Count - BitOperations.PopCount(
                Vector512.Equals(Vector512.LoadUnsafe(ref a), Vector512<byte>.Zero).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d) =>
            Vector256<byte>.Count - BitOperations.PopCount(
                Vector256.Equals(Vector256.LoadUnsafe(ref a), Vector256<byte>.Zero).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d) =>
            Vector128<byte>.Count - BitOperations.PopCount(
                Vector128.Equals(Vector128.LoadUnsafe(ref a), Vector128<byte>.Zero).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d) => BitOperations.PopCount(NonZeroBytes(ReadWord(ref a)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d) => a != 0 ? 1 : 0;
    }
}
