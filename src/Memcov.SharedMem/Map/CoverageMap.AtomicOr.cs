using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>
    /// Merges a map into one that other threads and processes write at the same time, such as a
    /// region's live map: <c>destination |= source</c> with atomic operations, so no hit is lost.
    /// </summary>
    /// <param name="source">The map to merge in.</param>
    /// <param name="destination">The shared map that receives the union.</param>
    /// <returns>
    /// The number of edges this call turned from zero to non-zero. Each byte turns non-zero in one
    /// atomic operation, so when several callers merge into the same map at once every new edge is
    /// counted by exactly one of them, and their results add up to the edges they added together.
    /// Edges that instrumented code or plain stores set are counted by no one.
    /// </returns>
    /// <remarks>
    /// <para>
    /// The OR is bitwise, so maps of hit-count classes (<see cref="Classify(ReadOnlySpan{byte}, Span{byte})"/>)
    /// merge as flag maps do: each byte ends up with every class any merge brought to that edge. A byte
    /// that was already non-zero and gains a class is merged but not counted: the count is of edges.
    /// </para>
    /// <para>
    /// The destination is read first, a vector at a time; only a 64-bit word where
    /// <paramref name="source"/> has bits that <paramref name="destination"/> lacks gets an atomic
    /// <see cref="Interlocked.CompareExchange(ref ulong, ulong, ulong)"/> from the value read to its
    /// union with the source, retried from the word's new value if another writer changed it first.
    /// Merging coverage that is already there costs a read and writes nothing, so the cache lines
    /// other processes hit stay shared.
    /// </para>
    /// <para>
    /// Atomic operations need aligned words, and a span need not start or end on one. The kernel
    /// never writes a byte outside <paramref name="destination"/>, not even the unchanged neighbours
    /// of an edge byte: the up to 7 bytes before the first 8-byte-aligned address and after the last
    /// whole aligned word are merged one byte at a time with
    /// <see cref="Interlocked.CompareExchange(ref byte, byte, byte)"/>, retried until the byte holds
    /// the union. (An OR on the containing aligned word would stay on a mapped page, since aligned
    /// words never cross pages, but it would write over memory the caller did not hand over.)
    /// </para>
    /// <para>
    /// Bits are assumed to be only set while the merge runs. A concurrent reset of the destination
    /// may keep or lose any of the merged bits, as with any merge.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The spans have different lengths, or <paramref name="destination"/> partly overlaps <paramref name="source"/>.
    /// </exception>
    public static long AtomicOr(ReadOnlySpan<byte> source, Span<byte> destination) => AtomicOr(source, destination, WidestWidth);

    /// <inheritdoc cref="AtomicOr(ReadOnlySpan{byte}, Span{byte})"/>
    /// <param name="source">The map to merge in.</param>
    /// <param name="destination">The shared map that receives the union.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static long AtomicOr(ReadOnlySpan<byte> source, Span<byte> destination, KernelWidth width) =>
        AtomicOr(source, destination, destination, width);

    /// <summary>
    /// <see cref="AtomicOr(ReadOnlySpan{byte}, Span{byte}, KernelWidth)"/> that reads the vectors it
    /// decides on from <paramref name="seen"/>; the words it exchanges and merges word by word are
    /// still read from <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">The map to merge in.</param>
    /// <param name="seen">
    /// <paramref name="destination"/> itself, or in tests an older copy of it (bits may only be
    /// missing), so that exchanges find words that other writers changed after the read.
    /// </param>
    /// <param name="destination">The shared map that receives the union.</param>
    /// <param name="width">The widest vectors to use.</param>
    /// <returns>The number of edges this call turned from zero to non-zero in <paramref name="destination"/>.</returns>
    internal static unsafe long AtomicOr(ReadOnlySpan<byte> source, ReadOnlySpan<byte> seen, Span<byte> destination, KernelWidth width)
    {
        CheckSameLength(source.Length, destination.Length, nameof(source), nameof(destination));
        CheckSameLength(seen.Length, destination.Length, nameof(seen), nameof(destination));
        CheckNoPartialOverlap(source, destination, nameof(source), nameof(destination));
        if (destination.IsEmpty)
        {
            return 0;
        }

        // Pinned, so the alignment taken from the address holds for the whole merge even if the
        // destination is a managed array and the GC compacts (arrays are only 4-aligned on 32-bit).
        fixed (byte* start = destination)
        {
            nuint length = (nuint)destination.Length;
            nuint head = Math.Min((sizeof(ulong) - ((nuint)start & (sizeof(ulong) - 1))) & (sizeof(ulong) - 1), length);
            ref byte s = ref MemoryMarshal.GetReference(source);
            ref byte b = ref MemoryMarshal.GetReference(seen);
            ref byte d = ref MemoryMarshal.GetReference(destination);

            // Bytes before the first aligned word (fewer than 8, so Run takes them one at a time),
            // then everything from that word on: vectors and words at multiples of 8 from it.
            long added = Run<AtomicOrStep>(ref s, ref b, ref d, head, KernelWidth.Scalar);
            added += Run<AtomicOrStep>(ref Unsafe.Add(ref s, head), ref Unsafe.Add(ref b, head), ref Unsafe.Add(ref d, head), length - head, width);
            return added;
        }
    }

    /// <summary>
    /// ORs the source word into the aligned destination word at <paramref name="destination"/>, if
    /// the source adds bits, with a compare-exchange retried until it holds the union.
    /// </summary>
    /// <returns>The bytes of the word that this call turned from zero to non-zero.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int OrWord(ref byte source, ref byte destination)
    {
        Debug.Assert(((nuint)Unsafe.AsPointer(ref destination) & (sizeof(ulong) - 1)) == 0);
        ulong bits = ReadWord(ref source);
        ref ulong word = ref Unsafe.As<byte, ulong>(ref destination);
        ulong seen = Volatile.Read(ref word);
        while ((bits & ~seen) != 0)
        {
            ulong found = Interlocked.CompareExchange(ref word, seen | bits, seen);
            if (found == seen)
            {
                // Counted from the value replaced, which is exactly what this exchange changed.
                return BitOperations.PopCount(NonZeroBytes(bits) & ~NonZeroBytes(seen));
            }

            seen = found;
        }

        return 0;
    }

    /// <summary>Merges, with <see cref="OrWord"/>, each word of a vector whose bit is set in <paramref name="words"/> (not zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OrWords(ref byte source, ref byte destination, ulong words)
    {
        int added = 0;
        do
        {
            int offset = BitOperations.TrailingZeroCount(words) * sizeof(ulong);
            words &= words - 1;
            added += OrWord(ref Unsafe.Add(ref source, offset), ref Unsafe.Add(ref destination, offset));
        }
        while (words != 0);
        return added;
    }

    /// <summary>
    /// Exchanges word <paramref name="k"/> of the aligned vector at <paramref name="destination"/> from
    /// lane <paramref name="k"/> of <paramref name="expected"/> to that of <paramref name="desired"/>;
    /// <paramref name="gain"/> holds the bits the source adds, <c>desired</c> without <c>expected</c>.
    /// </summary>
    /// <returns>Whether the word held something else, so that nothing was written.</returns>
    /// <remarks>
    /// The value the word must have held is rebuilt for the comparison, <c>desired ^ gain</c>, from a
    /// register the exchange leaves alone: a copy of the expected lane kept across the exchange
    /// (whose register it overwrites) was spilled to the stack when the profile showed this path
    /// hot, and a store before each locked instruction slowed the sequence by 5 %.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ExchangeFails(ref byte destination, int k, Vector512<ulong> expected, Vector512<ulong> desired, Vector512<ulong> gain) =>
        Interlocked.CompareExchange(ref WordAt(ref destination, k), desired.GetElement(k), expected.GetElement(k)) != (desired.GetElement(k) ^ gain.GetElement(k));

    /// <inheritdoc cref="ExchangeFails(ref byte, int, Vector512{ulong}, Vector512{ulong}, Vector512{ulong})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ExchangeFails(ref byte destination, int k, Vector256<ulong> expected, Vector256<ulong> desired, Vector256<ulong> gain) =>
        Interlocked.CompareExchange(ref WordAt(ref destination, k), desired.GetElement(k), expected.GetElement(k)) != (desired.GetElement(k) ^ gain.GetElement(k));

    /// <inheritdoc cref="ExchangeFails(ref byte, int, Vector512{ulong}, Vector512{ulong}, Vector512{ulong})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ExchangeFails(ref byte destination, int k, Vector128<ulong> expected, Vector128<ulong> desired, Vector128<ulong> gain) =>
        Interlocked.CompareExchange(ref WordAt(ref destination, k), desired.GetElement(k), expected.GetElement(k)) != (desired.GetElement(k) ^ gain.GetElement(k));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ulong WordAt(ref byte vector, int k) => ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref vector, k * sizeof(ulong)));

    /// <summary>
    /// After the words before <paramref name="exchanged"/> were exchanged and that one failed: the
    /// edges those words gained, from <paramref name="newBytes"/> (a bit per byte), and the words
    /// left, which <see cref="OrWords"/> merges from what they hold now.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountExchanged(int exchanged, ulong newBytes, ref ulong words)
    {
        words &= ~0UL << exchanged;
        return BitOperations.PopCount(newBytes & ((1UL << (exchanged * sizeof(ulong))) - 1));
    }

    /// <summary>
    /// Merges <c>a</c> (the source) into <c>d</c> (the destination; its vectors are read as <c>b</c>,
    /// which is <c>d</c> but in tests). Vector and word steps run on 8-aligned destination addresses
    /// (see <see cref="AtomicOr(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, KernelWidth)"/>);
    /// a vector whose source adds no bits is only read.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A vector in which every word gains bits (a merge that adds much) takes one compare-exchange per
    /// word, unrolled and fed from registers: from the word as the vector read it to its union with
    /// the source. Its new edges are counted from the two vectors, once: an exchange that succeeds
    /// found the word as read, so it turned exactly the bytes that were zero there and not in the
    /// source. If another writer changed a word first, that exchange wrote nothing, and it and the
    /// words after it are merged word by word.
    /// </para>
    /// <para>
    /// That sequence runs as fast as <see cref="Interlocked.Or(ref ulong, ulong)"/> on every word
    /// only because the exchanges' results just steer branches and nothing is stored between them:
    /// a locked instruction whose result feeds a running sum, or a store between two (a spill, a
    /// call), made each take 5 % or more longer on the machine the benchmarks ran on.
    /// </para>
    /// <para>
    /// A vector in which only some words gain bits merges just those, word by word, in a loop over
    /// their bits: no branch per word that a random pattern of new edges would mispredict.
    /// </para>
    /// </remarks>
    private readonly struct AtomicOrStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d)
        {
            Vector512<byte> source = Vector512.LoadUnsafe(ref a);
            Vector512<byte> seen = Vector512.LoadUnsafe(ref b);
            Vector512<ulong> gain = Vector512.AndNot(source, seen).AsUInt64();
            if (gain == Vector512<ulong>.Zero)
            {
                return 0;
            }

            ulong words = Vector512.ExtractMostSignificantBits(~Vector512.Equals(gain, Vector512<ulong>.Zero));
            int added = 0;
            if (words == 0xFF)
            {
                ulong newBytes = Vector512.ExtractMostSignificantBits(Vector512.AndNot(Vector512.Equals(seen, Vector512<byte>.Zero), Vector512.Equals(source, Vector512<byte>.Zero)));
                Vector512<ulong> expected = seen.AsUInt64();
                Vector512<ulong> desired = (source | seen).AsUInt64();
                int exchanged = ExchangeFails(ref d, 0, expected, desired, gain) ? 0
                    : ExchangeFails(ref d, 1, expected, desired, gain) ? 1
                    : ExchangeFails(ref d, 2, expected, desired, gain) ? 2
                    : ExchangeFails(ref d, 3, expected, desired, gain) ? 3
                    : ExchangeFails(ref d, 4, expected, desired, gain) ? 4
                    : ExchangeFails(ref d, 5, expected, desired, gain) ? 5
                    : ExchangeFails(ref d, 6, expected, desired, gain) ? 6
                    : ExchangeFails(ref d, 7, expected, desired, gain) ? 7
                    : 8;
                if (exchanged == 8)
                {
                    return BitOperations.PopCount(newBytes);
                }

                added = CountExchanged(exchanged, newBytes, ref words);
            }

            return added + OrWords(ref a, ref d, words);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d)
        {
            Vector256<byte> source = Vector256.LoadUnsafe(ref a);
            Vector256<byte> seen = Vector256.LoadUnsafe(ref b);
            Vector256<ulong> gain = Vector256.AndNot(source, seen).AsUInt64();
            if (gain == Vector256<ulong>.Zero)
            {
                return 0;
            }

            ulong words = Vector256.ExtractMostSignificantBits(~Vector256.Equals(gain, Vector256<ulong>.Zero));
            int added = 0;
            if (words == 0xF)
            {
                ulong newBytes = Vector256.ExtractMostSignificantBits(Vector256.AndNot(Vector256.Equals(seen, Vector256<byte>.Zero), Vector256.Equals(source, Vector256<byte>.Zero)));
                Vector256<ulong> expected = seen.AsUInt64();
                Vector256<ulong> desired = (source | seen).AsUInt64();
                int exchanged = ExchangeFails(ref d, 0, expected, desired, gain) ? 0
                    : ExchangeFails(ref d, 1, expected, desired, gain) ? 1
                    : ExchangeFails(ref d, 2, expected, desired, gain) ? 2
                    : ExchangeFails(ref d, 3, expected, desired, gain) ? 3
                    : 4;
                if (exchanged == 4)
                {
                    return BitOperations.PopCount(newBytes);
                }

                added = CountExchanged(exchanged, newBytes, ref words);
            }

            return added + OrWords(ref a, ref d, words);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d)
        {
            Vector128<byte> source = Vector128.LoadUnsafe(ref a);
            Vector128<byte> seen = Vector128.LoadUnsafe(ref b);
            Vector128<ulong> gain = Vector128.AndNot(source, seen).AsUInt64();
            if (gain == Vector128<ulong>.Zero)
            {
                return 0;
            }

            ulong words = Vector128.ExtractMostSignificantBits(~Vector128.Equals(gain, Vector128<ulong>.Zero));
            int added = 0;
            if (words == 0x3)
            {
                ulong newBytes = Vector128.ExtractMostSignificantBits(Vector128.AndNot(Vector128.Equals(seen, Vector128<byte>.Zero), Vector128.Equals(source, Vector128<byte>.Zero)));
                Vector128<ulong> expected = seen.AsUInt64();
                Vector128<ulong> desired = (source | seen).AsUInt64();
                int exchanged = ExchangeFails(ref d, 0, expected, desired, gain) ? 0
                    : ExchangeFails(ref d, 1, expected, desired, gain) ? 1
                    : 2;
                if (exchanged == 2)
                {
                    return BitOperations.PopCount(newBytes);
                }

                added = CountExchanged(exchanged, newBytes, ref words);
            }

            return added + OrWords(ref a, ref d, words);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d) => OrWord(ref a, ref d);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            byte bits = a;
            byte old = Volatile.Read(ref d);
            while ((bits & ~old) != 0)
            {
                byte seen = Interlocked.CompareExchange(ref d, (byte)(old | bits), old);
                if (seen == old)
                {
                    return old == 0 ? 1 : 0;
                }

                old = seen;
            }

            return 0;
        }
    }
}
