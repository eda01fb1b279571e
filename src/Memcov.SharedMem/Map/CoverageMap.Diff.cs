using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>Counts the edges covered in one map and not in another.</summary>
    /// <param name="a">The map whose edges are counted.</param>
    /// <param name="b">The map that excludes edges.</param>
    /// <returns>The number of edges non-zero in <paramref name="a"/> and zero in <paramref name="b"/>.</returns>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static long CountOnlyIn(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CountOnlyIn(a, b, WidestWidth);

    /// <inheritdoc cref="CountOnlyIn(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// <param name="a">The map whose edges are counted.</param>
    /// <param name="b">The map that excludes edges.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static long CountOnlyIn(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, KernelWidth width)
    {
        CheckSameLength(a.Length, b.Length, nameof(a), nameof(b));
        ref byte rb = ref MemoryMarshal.GetReference(b);
        return Run<OnlyInStep>(ref MemoryMarshal.GetReference(a), ref rb, ref rb, (nuint)a.Length, width);
    }

    /// <summary>
    /// Writes the edges covered in one map and not in another: <paramref name="a"/>'s byte where
    /// <paramref name="b"/>'s is zero, and zero elsewhere.
    /// </summary>
    /// <param name="a">The map whose edges are kept.</param>
    /// <param name="b">The map that excludes edges.</param>
    /// <param name="onlyInA">
    /// Receives the difference; every byte is written. It may be <paramref name="a"/> itself, which
    /// removes <paramref name="b"/>'s edges from <paramref name="a"/> in place.
    /// </param>
    /// <returns>The number of edges in the difference: the non-zero bytes written, as <see cref="CountOnlyIn(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> returns.</returns>
    /// <exception cref="ArgumentException">
    /// The spans have different lengths, or <paramref name="onlyInA"/> partly overlaps <paramref name="a"/>
    /// or <paramref name="b"/> (being the same span as either is allowed).
    /// </exception>
    public static long Diff(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> onlyInA) => Diff(a, b, onlyInA, WidestWidth);

    /// <inheritdoc cref="Diff(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>
    /// <param name="a">The map whose edges are kept.</param>
    /// <param name="b">The map that excludes edges.</param>
    /// <param name="onlyInA">Receives the difference.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static long Diff(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> onlyInA, KernelWidth width)
    {
        CheckSameLength(a.Length, b.Length, nameof(a), nameof(b));
        CheckSameLength(a.Length, onlyInA.Length, nameof(a), nameof(onlyInA));
        CheckNoPartialOverlap(a, onlyInA, nameof(a), nameof(onlyInA));
        CheckNoPartialOverlap(b, onlyInA, nameof(b), nameof(onlyInA));
        return Run<DiffStep>(
            ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(onlyInA),
            (nuint)a.Length, width);
    }

    // Edges only in a: b is zero there and a is not, so AndNot(b == 0, a == 0) selects them.

    /// <summary>Counts the edges non-zero in <c>a</c> and zero in <c>b</c>.</summary>
    private readonly struct OnlyInStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d) =>
            BitOperations.PopCount(Vector512.AndNot(
                Vector512.Equals(Vector512.LoadUnsafe(ref b), Vector512<byte>.Zero),
                Vector512.Equals(Vector512.LoadUnsafe(ref a), Vector512<byte>.Zero)).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d) =>
            BitOperations.PopCount(Vector256.AndNot(
                Vector256.Equals(Vector256.LoadUnsafe(ref b), Vector256<byte>.Zero),
                Vector256.Equals(Vector256.LoadUnsafe(ref a), Vector256<byte>.Zero)).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d) =>
            BitOperations.PopCount(Vector128.AndNot(
                Vector128.Equals(Vector128.LoadUnsafe(ref b), Vector128<byte>.Zero),
                Vector128.Equals(Vector128.LoadUnsafe(ref a), Vector128<byte>.Zero)).ExtractMostSignificantBits());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d) =>
            BitOperations.PopCount(NonZeroBytes(ReadWord(ref a)) & ~NonZeroBytes(ReadWord(ref b)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d) => a != 0 && b == 0 ? 1 : 0;
    }

    /// <summary>Stores <c>a</c> where <c>b</c> is zero, zero elsewhere, into <c>d</c>; counts the non-zero bytes stored.</summary>
    private readonly struct DiffStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d)
        {
            Vector512<byte> va = Vector512.LoadUnsafe(ref a);
            Vector512<byte> missed = Vector512.Equals(Vector512.LoadUnsafe(ref b), Vector512<byte>.Zero);
            (va & missed).StoreUnsafe(ref d);
            return BitOperations.PopCount(Vector512.AndNot(missed, Vector512.Equals(va, Vector512<byte>.Zero)).ExtractMostSignificantBits());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d)
        {
            Vector256<byte> va = Vector256.LoadUnsafe(ref a);
            Vector256<byte> missed = Vector256.Equals(Vector256.LoadUnsafe(ref b), Vector256<byte>.Zero);
            (va & missed).StoreUnsafe(ref d);
            return BitOperations.PopCount(Vector256.AndNot(missed, Vector256.Equals(va, Vector256<byte>.Zero)).ExtractMostSignificantBits());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d)
        {
            Vector128<byte> va = Vector128.LoadUnsafe(ref a);
            Vector128<byte> missed = Vector128.Equals(Vector128.LoadUnsafe(ref b), Vector128<byte>.Zero);
            (va & missed).StoreUnsafe(ref d);
            return BitOperations.PopCount(Vector128.AndNot(missed, Vector128.Equals(va, Vector128<byte>.Zero)).ExtractMostSignificantBits());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d)
        {
            ulong va = ReadWord(ref a);
            ulong missed = ~NonZeroBytes(ReadWord(ref b)) & HighBits;
            WriteWord(ref d, va & ToByteMask(missed));
            return BitOperations.PopCount(NonZeroBytes(va) & missed);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            byte va = a;
            bool missed = b == 0;
            d = missed ? va : (byte)0;
            return va != 0 && missed ? 1 : 0;
        }
    }
}
