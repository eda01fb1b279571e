using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>The value <see cref="InitVirgin"/> writes: every class of every edge unseen, as AFL's <c>virgin_bits</c> start.</summary>
    public const byte VirginUnseen = 0xFF;

    /// <summary>Marks every edge of a virgin map unseen by filling it with <see cref="VirginUnseen"/>.</summary>
    /// <param name="virgin">The virgin map, one byte per edge like the maps it will be compared with.</param>
    /// <remarks>
    /// A virgin map follows AFL's <c>virgin_bits</c> bit by bit: a set bit means no map passed to
    /// <see cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/> has had that bit set on that edge yet,
    /// and <see cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/> clears the bits a map has. On
    /// maps of hit-count classes (<see cref="Classify(ReadOnlySpan{byte}, Span{byte})"/>) a bit is a
    /// class; on flag maps (bytes of 0 and 1) only bit 0 is ever cleared, so a seen edge's byte
    /// becomes 0xFE.
    /// </remarks>
    public static void InitVirgin(Span<byte> virgin) => virgin.Fill(VirginUnseen);

    /// <summary>Tells whether a map has a bit on some edge that a virgin map still marks unseen: a new edge, or a new class of one.</summary>
    /// <param name="map">The coverage map of a run: flags, or hit-count classes.</param>
    /// <param name="virgin">The virgin map: set bits are bits never seen (see <see cref="InitVirgin"/>).</param>
    /// <returns>
    /// <see langword="true"/> if some byte of <paramref name="map"/> shares a set bit with that of
    /// <paramref name="virgin"/> (<c>(map &amp; virgin) != 0</c>). Stops reading at the first such byte.
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
        return Run<NewBitsStep>(ref MemoryMarshal.GetReference(map), ref v, ref v, (nuint)map.Length, width) != 0;
    }

    /// <summary>
    /// Records a map's bits in a virgin map, as AFL's <c>has_new_bits</c> does: clears in the virgin
    /// map every bit the map has (<c>virgin &amp;= ~map</c>), and counts the edges where that cleared a bit.
    /// </summary>
    /// <param name="map">The coverage map of a run: flags, or hit-count classes.</param>
    /// <param name="virgin">The virgin map to update (see <see cref="InitVirgin"/>).</param>
    /// <returns>
    /// The number of bytes of <paramref name="map"/> that had a bit <paramref name="virgin"/> still
    /// marked unseen: edges hit for the first time, and on class maps also seen edges that reached a
    /// new class. On a flag map, the edges hit for the first time.
    /// </returns>
    /// <remarks>
    /// Vectors of <paramref name="virgin"/> without a new bit are only read, so a run that finds
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

    // New bytes: the map (a) and the virgin map (b) share a bit. A lane is not new if their AND is zero.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector512<byte> m, Vector512<byte> v) =>
        Vector512<byte>.Count - BitOperations.PopCount(Vector512.Equals(m & v, Vector512<byte>.Zero).ExtractMostSignificantBits());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector256<byte> m, Vector256<byte> v) =>
        Vector256<byte>.Count - BitOperations.PopCount(Vector256.Equals(m & v, Vector256<byte>.Zero).ExtractMostSignificantBits());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountNew(Vector128<byte> m, Vector128<byte> v) =>
        Vector128<byte>.Count - BitOperations.PopCount(Vector128.Equals(m & v, Vector128<byte>.Zero).ExtractMostSignificantBits());

    /// <summary>Counts new bytes, map in <c>a</c>, virgin in <c>b</c>; stops at the first.</summary>
    private readonly struct NewBitsStep : IMapStep
    {
        public static bool StopAtFirst => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d) => CountNew(Vector512.LoadUnsafe(ref a), Vector512.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d) => CountNew(Vector256.LoadUnsafe(ref a), Vector256.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d) => CountNew(Vector128.LoadUnsafe(ref a), Vector128.LoadUnsafe(ref b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d) => BitOperations.PopCount(NonZeroBytes(ReadWord(ref a) & ReadWord(ref b)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d) => (a & b) != 0 ? 1 : 0;
    }

    /// <summary>
    /// Counts new bytes, map in <c>a</c>, virgin in <c>b</c> and <c>d</c>, and if there are any
    /// stores the virgin bytes without the map's bits into <c>d</c>.
    /// </summary>
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
                Vector512.AndNot(v, m).StoreUnsafe(ref d);
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
                Vector256.AndNot(v, m).StoreUnsafe(ref d);
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
                Vector128.AndNot(v, m).StoreUnsafe(ref d);
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d)
        {
            ulong m = ReadWord(ref a);
            ulong v = ReadWord(ref b);
            int n = BitOperations.PopCount(NonZeroBytes(m & v));
            if (n != 0)
            {
                WriteWord(ref d, v & ~m);
            }

            return n;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            if ((a & b) != 0)
            {
                d = (byte)(b & ~a);
                return 1;
            }

            return 0;
        }
    }
}
