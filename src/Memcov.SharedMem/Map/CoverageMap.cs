using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

/// <summary>
/// Kernels over coverage maps: spans of bytes with one byte per edge, where a non-zero byte means
/// the edge was hit. They work on any span: a region's live map, a snapshot, a file read into memory.
/// A byte holds a flag (1) or, in a hit-count region, hit-count classes as bits (see
/// <see cref="Classify(ReadOnlySpan{byte}, Span{byte})"/>); the merges and the virgin-map kernels
/// work on bits, so they serve both.
/// </summary>
/// <remarks>
/// <para>
/// Every kernel is vectorized (Vector512, Vector256 or Vector128, whichever is the widest the CPU
/// accelerates, stepping down to 64-bit words and then bytes for the tail) and allocates nothing.
/// Kernels that take two or more maps require them to have the same length.
/// </para>
/// <para>
/// A kernel's output may be the very span of one of its inputs (same start and length): each
/// step reads its inputs before it writes. Partly overlapping input and output spans are refused.
/// </para>
/// <para>
/// Only <see cref="AtomicOr(ReadOnlySpan{byte}, Span{byte})"/> is safe on memory that other threads or processes write at the same
/// time. The other kernels read shared memory fine (they see each byte as it was at some moment),
/// but those that write do plain stores.
/// </para>
/// </remarks>
public static partial class CoverageMap
{
    /// <summary>The high bit of every byte of a word: where the SWAR helpers leave their answers.</summary>
    private const ulong HighBits = 0x8080_8080_8080_8080;

    /// <summary>The low seven bits of every byte of a word.</summary>
    private const ulong LowBits = 0x7F7F_7F7F_7F7F_7F7F;

    /// <summary>The vector width a kernel may use at most; internal so tests can run every narrower path.</summary>
    internal enum KernelWidth
    {
        /// <summary>64-bit words and bytes only.</summary>
        Scalar = 64,

        /// <summary>Up to <see cref="Vector128{T}"/>.</summary>
        Vector128 = 128,

        /// <summary>Up to <see cref="Vector256{T}"/>.</summary>
        Vector256 = 256,

        /// <summary>Up to <see cref="Vector512{T}"/>.</summary>
        Vector512 = 512,
    }

    /// <summary>
    /// One step of a kernel at each width. Each step reads <c>a</c> and <c>b</c> and may write
    /// <c>d</c>, all at the same offset, and returns the edges it counted (zero if it counts none).
    /// </summary>
    /// <remarks>
    /// Implemented by structs, so <see cref="Run{TStep}"/> is compiled once per kernel with the steps
    /// inlined: one loop nest serves every kernel, as garnet's bit-op kernels share theirs.
    /// </remarks>
    private interface IMapStep
    {
        /// <summary>Whether <see cref="Run{TStep}"/> returns at the first step that counts an edge.</summary>
        static abstract bool StopAtFirst { get; }

        static abstract int Step512(ref byte a, ref byte b, ref byte d);

        static abstract int Step256(ref byte a, ref byte b, ref byte d);

        static abstract int Step128(ref byte a, ref byte b, ref byte d);

        static abstract int Step64(ref byte a, ref byte b, ref byte d);

        static abstract int Step8(ref byte a, ref byte b, ref byte d);
    }

    /// <summary>The widest path this CPU accelerates; the public kernels take it.</summary>
    internal static KernelWidth WidestWidth =>
        Vector512.IsHardwareAccelerated ? KernelWidth.Vector512 :
        Vector256.IsHardwareAccelerated ? KernelWidth.Vector256 :
        Vector128.IsHardwareAccelerated ? KernelWidth.Vector128 :
        KernelWidth.Scalar;

    /// <summary>
    /// Runs <typeparamref name="TStep"/> over <paramref name="length"/> bytes from the three
    /// references: whole vectors of the widest width allowed, then at most one vector of each
    /// narrower width, 64-bit words, and bytes.
    /// </summary>
    /// <returns>The sum of the steps' counts, or the first non-zero count if the step stops at the first.</returns>
    private static long Run<TStep>(ref byte a, ref byte b, ref byte d, nuint length, KernelWidth width)
        where TStep : struct, IMapStep
    {
        long count = 0;
        nuint i = 0;

        if (Vector512.IsHardwareAccelerated && width >= KernelWidth.Vector512)
        {
            for (; length - i >= (nuint)Vector512<byte>.Count; i += (nuint)Vector512<byte>.Count)
            {
                int n = TStep.Step512(ref Unsafe.Add(ref a, i), ref Unsafe.Add(ref b, i), ref Unsafe.Add(ref d, i));
                if (TStep.StopAtFirst && n != 0)
                {
                    return n;
                }

                count += n;
            }
        }

        if (Vector256.IsHardwareAccelerated && width >= KernelWidth.Vector256)
        {
            for (; length - i >= (nuint)Vector256<byte>.Count; i += (nuint)Vector256<byte>.Count)
            {
                int n = TStep.Step256(ref Unsafe.Add(ref a, i), ref Unsafe.Add(ref b, i), ref Unsafe.Add(ref d, i));
                if (TStep.StopAtFirst && n != 0)
                {
                    return n;
                }

                count += n;
            }
        }

        if (Vector128.IsHardwareAccelerated && width >= KernelWidth.Vector128)
        {
            for (; length - i >= (nuint)Vector128<byte>.Count; i += (nuint)Vector128<byte>.Count)
            {
                int n = TStep.Step128(ref Unsafe.Add(ref a, i), ref Unsafe.Add(ref b, i), ref Unsafe.Add(ref d, i));
                if (TStep.StopAtFirst && n != 0)
                {
                    return n;
                }

                count += n;
            }
        }

        for (; length - i >= sizeof(ulong); i += sizeof(ulong))
        {
            int n = TStep.Step64(ref Unsafe.Add(ref a, i), ref Unsafe.Add(ref b, i), ref Unsafe.Add(ref d, i));
            if (TStep.StopAtFirst && n != 0)
            {
                return n;
            }

            count += n;
        }

        for (; i < length; i++)
        {
            int n = TStep.Step8(ref Unsafe.Add(ref a, i), ref Unsafe.Add(ref b, i), ref Unsafe.Add(ref d, i));
            if (TStep.StopAtFirst && n != 0)
            {
                return n;
            }

            count += n;
        }

        return count;
    }

    /// <summary>The high bit of each byte of the result is set where that byte of <paramref name="x"/> is non-zero.</summary>
    /// <remarks>
    /// Adding 0x7F to the low seven bits carries into the high bit exactly when they are not all
    /// zero, and never past it; OR-ing <paramref name="x"/> back in covers a byte of 0x80.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonZeroBytes(ulong x) => (((x & LowBits) + LowBits) | x) & HighBits;

    /// <summary>Widens a word of high-bit flags (from <see cref="NonZeroBytes"/>) to 0xFF or 0x00 per byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ToByteMask(ulong highBits) => (highBits >> 7) * 0xFF;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadWord(ref byte source) => Unsafe.ReadUnaligned<ulong>(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteWord(ref byte destination, ulong value) => Unsafe.WriteUnaligned(ref destination, value);

    private static void CheckSameLength(int firstLength, int secondLength, string firstName, string secondName)
    {
        if (firstLength != secondLength)
        {
            ThrowLengthMismatch(firstLength, secondLength, firstName, secondName);
        }
    }

    /// <summary>Refuses an output that overlaps an input other than by being the same span.</summary>
    private static void CheckNoPartialOverlap(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, string inputName, string outputName)
    {
        if (input.Overlaps(output) && !Unsafe.AreSame(ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(output)))
        {
            ThrowPartialOverlap(inputName, outputName);
        }
    }

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int firstLength, int secondLength, string firstName, string secondName) =>
        throw new ArgumentException(
            $"{firstName} has {firstLength} bytes and {secondName} has {secondLength}: coverage maps must have " +
            "the same length, one byte per edge. Slice the longer one to the edges both maps describe.",
            secondName);

    [DoesNotReturn]
    private static void ThrowPartialOverlap(string inputName, string outputName) =>
        throw new ArgumentException(
            $"{outputName} partly overlaps {inputName}: the output must be the same span as the input or not " +
            "overlap it at all. Copy the input first, or write into a separate buffer.",
            outputName);
}
