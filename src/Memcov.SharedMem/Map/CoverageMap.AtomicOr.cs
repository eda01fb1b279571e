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
    /// The destination is read first, a vector at a time; only a 64-bit word where
    /// <paramref name="source"/> has bits that <paramref name="destination"/> lacks gets an
    /// <see cref="Interlocked.Or(ref ulong, ulong)"/>. Merging coverage that is already there costs a
    /// read and writes nothing, so the cache lines other processes hit stay shared.
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
    internal static unsafe long AtomicOr(ReadOnlySpan<byte> source, Span<byte> destination, KernelWidth width)
    {
        CheckSameLength(source.Length, destination.Length, nameof(source), nameof(destination));
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
            ref byte d = ref MemoryMarshal.GetReference(destination);

            // Bytes before the first aligned word (fewer than 8, so Run takes them one at a time),
            // then everything from that word on: vectors and words at multiples of 8 from it.
            long added = Run<AtomicOrStep>(ref s, ref d, ref d, head, KernelWidth.Scalar);
            added += Run<AtomicOrStep>(ref Unsafe.Add(ref s, head), ref Unsafe.Add(ref d, head), ref Unsafe.Add(ref d, head), length - head, width);
            return added;
        }
    }

    /// <summary>
    /// ORs the aligned destination word at <paramref name="destination"/> with the source word, only
    /// if the source adds bits.
    /// </summary>
    /// <returns>The bytes of the word that this call turned from zero to non-zero.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int OrWord(ref byte source, ref byte destination)
    {
        Debug.Assert(((nuint)Unsafe.AsPointer(ref destination) & (sizeof(ulong) - 1)) == 0);
        ulong bits = ReadWord(ref source);
        ref ulong word = ref Unsafe.As<byte, ulong>(ref destination);
        if ((bits & ~Volatile.Read(ref word)) == 0)
        {
            return 0;
        }

        ulong old = Interlocked.Or(ref word, bits);
        return BitOperations.PopCount(NonZeroBytes(bits) & ~NonZeroBytes(old));
    }

    /// <summary>Merges <paramref name="count"/> bytes (a multiple of 8) word by word from an aligned destination.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OrWords(ref byte source, ref byte destination, nuint count)
    {
        int added = 0;
        for (nuint k = 0; k < count; k += sizeof(ulong))
        {
            added += OrWord(ref Unsafe.Add(ref source, k), ref Unsafe.Add(ref destination, k));
        }

        return added;
    }

    /// <summary>
    /// Merges <c>a</c> (the source) into <c>d</c> (the destination, also read as <c>b</c>). Vector and
    /// word steps run on 8-aligned destination addresses (see <see cref="AtomicOr(ReadOnlySpan{byte}, Span{byte}, KernelWidth)"/>);
    /// a vector whose source adds no bits is only read.
    /// </summary>
    private readonly struct AtomicOrStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d) =>
            Vector512.AndNot(Vector512.LoadUnsafe(ref a), Vector512.LoadUnsafe(ref b)) == Vector512<byte>.Zero
                ? 0
                : OrWords(ref a, ref d, (nuint)Vector512<byte>.Count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d) =>
            Vector256.AndNot(Vector256.LoadUnsafe(ref a), Vector256.LoadUnsafe(ref b)) == Vector256<byte>.Zero
                ? 0
                : OrWords(ref a, ref d, (nuint)Vector256<byte>.Count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d) =>
            Vector128.AndNot(Vector128.LoadUnsafe(ref a), Vector128.LoadUnsafe(ref b)) == Vector128<byte>.Zero
                ? 0
                : OrWords(ref a, ref d, (nuint)Vector128<byte>.Count);

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
