using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>
    /// Turns hit counts into hit-count classes, one bit per class, as AFL++'s <c>classify_counts</c>
    /// buckets them: the bytes a hit-count region holds.
    /// </summary>
    /// <param name="counts">Hit counts, one byte per edge.</param>
    /// <param name="classes">
    /// Receives each count's class; every byte is written. It may be <paramref name="counts"/> itself,
    /// which classifies in place.
    /// </param>
    /// <remarks>
    /// <para>
    /// A count of 0 gives 0; 1 gives 0x01, 2 gives 0x02, 3 gives 0x04, 4–7 give 0x08, 8–15 give 0x10,
    /// 16–31 give 0x20, 32–127 give 0x40 and 128–255 give 0x80.
    /// </para>
    /// <para>
    /// Classes of several runs merge with <see cref="Or(ReadOnlySpan{byte}, Span{byte})"/> or
    /// <see cref="AtomicOr(ReadOnlySpan{byte}, Span{byte})"/> into a map of every class each edge
    /// reached, which <see cref="UpdateVirgin(ReadOnlySpan{byte}, Span{byte})"/> compares bit by bit.
    /// A flag map's 1 is class 0x01, so flag maps are class maps too.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The spans have different lengths, or <paramref name="classes"/> partly overlaps <paramref name="counts"/>.
    /// </exception>
    public static void Classify(ReadOnlySpan<byte> counts, Span<byte> classes) => Classify(counts, classes, WidestWidth);

    /// <inheritdoc cref="Classify(ReadOnlySpan{byte}, Span{byte})"/>
    /// <param name="counts">Hit counts, one byte per edge.</param>
    /// <param name="classes">Receives each count's class.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static void Classify(ReadOnlySpan<byte> counts, Span<byte> classes, KernelWidth width)
    {
        CheckSameLength(counts.Length, classes.Length, nameof(counts), nameof(classes));
        CheckNoPartialOverlap(counts, classes, nameof(counts), nameof(classes));
        ref byte c = ref MemoryMarshal.GetReference(counts);
        Run<ClassifyStep>(ref c, ref c, ref MemoryMarshal.GetReference(classes), (nuint)counts.Length, width);
    }

    // A count's class is the larger of the classes of its two nibbles: the low nibble's is the class
    // of counts 0-15, at most 0x10; the high nibble's is 0 for counts below 16, else 0x20, 0x40 or
    // 0x80, above any low nibble's. So two 16-entry lookups (one byte shuffle each) and a max: about
    // half the time of comparing with each bucket's bounds and selecting, at 64 KiB.

    /// <summary>The class of a count below 16, by count.</summary>
    private static Vector128<byte> LowNibbleClasses =>
        Vector128.Create((byte)0x00, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);

    /// <summary>The class of a count of 16 or more, by its high nibble (0 below 16).</summary>
    private static Vector128<byte> HighNibbleClasses =>
        Vector128.Create((byte)0x00, 0x20, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);

    // The .NET 10 JIT rebuilds Vector512.Create(Vector128) of a constant in every step of the loop
    // (it folds the Vector256 one); a static readonly field is a constant to the optimizing JIT,
    // which made the Vector512 kernel 1.7 times faster at 64 KiB.
    private static readonly Vector512<byte> s_lowNibbleClasses512 = Vector512.Create(LowNibbleClasses);
    private static readonly Vector512<byte> s_highNibbleClasses512 = Vector512.Create(HighNibbleClasses);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ClassOf(byte count) =>
        Math.Max(HighNibbleClasses.GetElement(count >> 4), LowNibbleClasses.GetElement(count & 0x0F));

    // Lookups of indices below 16 in a table repeated in every 16-byte lane: x86's shuffle within
    // lanes (pshufb) gives the right bytes. ShuffleNative picks from the whole vector, which without
    // AVX-512 VBMI the .NET 10 JIT emulates: two shuffles and a blend at 256 bits (2.3 times slower),
    // byte by byte through the stack at 512 bits (100 times slower). At 128 bits it is pshufb (or tbl).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> LookUp(Vector512<byte> table, Vector512<byte> indices) =>
        Avx512BW.IsSupported ? Avx512BW.Shuffle(table, indices) : Vector512.ShuffleNative(table, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> LookUp(Vector256<byte> table, Vector256<byte> indices) =>
        Avx2.IsSupported ? Avx2.Shuffle(table, indices) : Vector256.ShuffleNative(table, indices);

    /// <summary>Stores the classes of the counts in <c>a</c> into <c>d</c>; counts nothing.</summary>
    private readonly struct ClassifyStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d)
        {
            Vector512<byte> counts = Vector512.LoadUnsafe(ref a);
            Vector512.Max(
                LookUp(s_highNibbleClasses512, Vector512.ShiftRightLogical(counts, 4)),
                LookUp(s_lowNibbleClasses512, counts & Vector512.Create((byte)0x0F))).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d)
        {
            Vector256<byte> counts = Vector256.LoadUnsafe(ref a);
            Vector256.Max(
                LookUp(Vector256.Create(HighNibbleClasses), Vector256.ShiftRightLogical(counts, 4)),
                LookUp(Vector256.Create(LowNibbleClasses), counts & Vector256.Create((byte)0x0F))).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d)
        {
            Vector128<byte> counts = Vector128.LoadUnsafe(ref a);
            Vector128.Max(
                Vector128.ShuffleNative(HighNibbleClasses, Vector128.ShiftRightLogical(counts, 4)),
                Vector128.ShuffleNative(LowNibbleClasses, counts & Vector128.Create((byte)0x0F))).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d)
        {
            // The whole word is read before any byte is written: d may be a.
            ulong counts = ReadWord(ref a);
            ulong classes = 0;
            for (int shift = 0; shift < 64; shift += 8)
            {
                classes |= (ulong)ClassOf((byte)(counts >> shift)) << shift;
            }

            WriteWord(ref d, classes);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            d = ClassOf(a);
            return 0;
        }
    }
}
