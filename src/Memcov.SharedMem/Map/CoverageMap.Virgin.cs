using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>The value <see cref="InitVirgin"/> writes: every edge unseen, as AFL's <c>virgin_bits</c> start.</summary>
    public const byte VirginUnseen = 0xFF;

    /// <summary>Marks every edge of a virgin map unseen by filling it with <see cref="VirginUnseen"/>.</summary>
    /// <param name="virgin">The virgin map, one byte per edge like the maps it will be compared with.</param>
    /// <remarks>
    /// A virgin map follows AFL's convention at edge level: a non-zero byte means no map passed to
    /// <see cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/> has hit that edge yet; <see cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/> zeroes the byte
    /// once one does. Any non-zero value counts as unseen; this method writes 0xFF.
    /// </remarks>
    public static void InitVirgin(Span<byte> virgin) => virgin.Fill(VirginUnseen);

    /// <summary>Tells whether a map hits an edge that a virgin map still marks unseen.</summary>
    /// <param name="map">The coverage map of a run: non-zero bytes are hit edges.</param>
    /// <param name="virgin">The virgin map: non-zero bytes are edges never seen (see <see cref="InitVirgin"/>).</param>
    /// <returns>
    /// <see langword="true"/> if some edge is non-zero in both <paramref name="map"/> and
    /// <paramref name="virgin"/>. Stops reading at the first such edge.
    /// </returns>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static bool HasNewCoverage(ReadOnlySpan<byte> map, ReadOnlySpan<byte> virgin) =>
        HasNewCoverage(map, virgin, WidestWidth);

    /// <inheritdoc cref="HasNewCoverage(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// <param name="map">The coverage map of a run.</param>
    /// <param name="virgin">The virgin map.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static bool HasNewCoverage(ReadOnlySpan<byte> map, ReadOnlySpan<byte> virgin, KernelWidth width)
    {
        CheckSameLength(map.Length, virgin.Length, nameof(map), nameof(virgin));
        ref byte v = ref MemoryMarshal.GetReference(virgin);
        return Run<NewEdgeStep>(ref MemoryMarshal.GetReference(map), ref v, ref v, (nuint)map.Length, width) != 0;
    }

    /// <summary>
    /// Records a map's hits in a virgin map: zeroes the virgin byte of every edge the map hits, and
    /// counts the edges that were still unseen.
    /// </summary>
    /// <param name="map">The coverage map of a run: non-zero bytes are hit edges.</param>
    /// <param name="virgin">The virgin map to update (see <see cref="InitVirgin"/>).</param>
    /// <returns>The number of edges hit in <paramref name="map"/> that <paramref name="virgin"/> marked unseen.</returns>
    /// <remarks>
    /// Vectors of <paramref name="virgin"/> without a new edge are only read, so a run that finds
    /// nothing new (the common case) writes nothing.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The spans have different lengths, or <paramref name="virgin"/> partly overlaps <paramref name="map"/>.
    /// </exception>
    public static long UpdateVirgin(ReadOnlySpan<byte> map, Span<byte> virgin) => UpdateVirgin(map, virgin, WidestWidth);

    /// <inheritdoc cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/>
    /// <param name="map">The coverage map of a run.</param>
    /// <param name="virgin">The virgin map to update.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static long UpdateVirgin(ReadOnlySpan<byte> map, Span<byte> virgin, KernelWidth width)
    {
        CheckSameLength(map.Length, virgin.Length, nameof(map), nameof(virgin));
        CheckNoPartialOverlap(map, virgin, nameof(map), nameof(virgin));
        ref byte v = ref MemoryMarshal.GetReference(virgin);
        return Run<UpdateVirginStep>(ref MemoryMarshal.GetReference(map), ref v, ref v, (nuint)map.Length, width);
    }

    // New edges: non-zero in the map (a) and in the virgin map (b). A lane is not new if either is zero.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector512<byte> m, Vector512<byte> v) =>
        Vector512<byte>.Count - BitOperations.PopCount(
            (Vector512.Equals(m, Vector512<byte>.Zero) | Vector512.Equals(v, Vector512<byte>.Zero)).ExtractMostSignificantBits());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector256<byte> m, Vector256<byte> v) =>
        Vector256<byte>.Count - BitOperations.PopCount(
            (Vector256.Equals(m, Vector256<byte>.Zero) | Vector256.Equals(v, Vector256<byte>.Zero)).ExtractMostSignificantBits());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector128<byte> m, Vector128<byte> v) =>
        Vector128<byte>.Count - BitOperations.PopCount(
            (Vector128.Equals(m, Vector128<byte>.Zero) | Vector128.Equals(v, Vector128<byte>.Zero)).ExtractMostSignificantBits());

    /// <summary>Counts new edges, map in <c>a</c>, virgin in <c>b</c>; stops at the first.</summary>
    private readonly struct NewEdgeStep : IMapStep
    {
        public static bool StopAtFirst => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d) => CountNew(Vector512.LoadUnsafe(ref a), Vector512.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d) => CountNew(Vector256.LoadUnsafe(ref a), Vector256.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d) => CountNew(Vector128.LoadUnsafe(ref a), Vector128.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d) =>
            BitOperations.PopCount(NonZeroBytes(ReadWord(ref a)) & NonZeroBytes(ReadWord(ref b)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d) => a != 0 && b != 0 ? 1 : 0;
    }

    /// <summary>Counts new edges, map in <c>a</c>, virgin in <c>b</c> and <c>d</c>, and zeroes them in <c>d</c> if there are any.</summary>
    private readonly struct UpdateVirginStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d)
        {
            Vector512<byte> m = Vector512.LoadUnsafe(ref a);
            Vector512<byte> v = Vector512.LoadUnsafe(ref b);
            int n = CountNew(m, v);
            if (n != 0)
            {
                (v & Vector512.Equals(m, Vector512<byte>.Zero)).StoreUnsafe(ref d);
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d)
        {
            Vector256<byte> m = Vector256.LoadUnsafe(ref a);
            Vector256<byte> v = Vector256.LoadUnsafe(ref b);
            int n = CountNew(m, v);
            if (n != 0)
            {
                (v & Vector256.Equals(m, Vector256<byte>.Zero)).StoreUnsafe(ref d);
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d)
        {
            Vector128<byte> m = Vector128.LoadUnsafe(ref a);
            Vector128<byte> v = Vector128.LoadUnsafe(ref b);
            int n = CountNew(m, v);
            if (n != 0)
            {
                (v & Vector128.Equals(m, Vector128<byte>.Zero)).StoreUnsafe(ref d);
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d)
        {
            ulong hit = NonZeroBytes(ReadWord(ref a));
            ulong v = ReadWord(ref b);
            int n = BitOperations.PopCount(hit & NonZeroBytes(v));
            if (n != 0)
            {
                WriteWord(ref d, v & ~ToByteMask(hit));
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            if (a != 0 && b != 0)
            {
                d = 0;
                return 1;
            }

            return 0;
        }
    }
}
