using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Memcov.SharedMem;

public static partial class CoverageMap
{
    /// <summary>Merges a map into another: <c>destination |= source</c>, byte by byte.</summary>
    /// <param name="source">The map to merge in.</param>
    /// <param name="destination">The map that receives the union; it may be <paramref name="source"/> itself.</param>
    /// <remarks>
    /// <para>
    /// The OR is bitwise, so maps of hit-count classes (<see cref="Classify(ReadOnlySpan{byte}, Span{byte})"/>)
    /// merge as flag maps do: each byte of the union holds every class either map had for that edge.
    /// </para>
    /// <para>
    /// The stores are plain: if other threads or processes write <paramref name="destination"/> at the
    /// same time (a region's live map), their hits may be lost. Use <see cref="AtomicOr(ReadOnlySpan{byte}, Span{byte})"/> there.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The spans have different lengths, or <paramref name="destination"/> partly overlaps <paramref name="source"/>.
    /// </exception>
    public static void Or(ReadOnlySpan<byte> source, Span<byte> destination) => Or(source, destination, WidestWidth);

    /// <inheritdoc cref="Or(ReadOnlySpan{byte}, Span{byte})"/>
    /// <param name="source">The map to merge in.</param>
    /// <param name="destination">The map that receives the union.</param>
    /// <param name="width">The widest vectors to use.</param>
    internal static void Or(ReadOnlySpan<byte> source, Span<byte> destination, KernelWidth width)
    {
        CheckSameLength(source.Length, destination.Length, nameof(source), nameof(destination));
        CheckNoPartialOverlap(source, destination, nameof(source), nameof(destination));
        ref byte d = ref MemoryMarshal.GetReference(destination);
        Run<OrStep>(ref MemoryMarshal.GetReference(source), ref d, ref d, (nuint)source.Length, width);
    }

    /// <summary>Stores <c>a | b</c> into <c>d</c> (which is <c>b</c>); counts nothing.</summary>
    private readonly struct OrStep : IMapStep
    {
        public static bool StopAtFirst => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step512(ref byte a, ref byte b, ref byte d)
        {
            (Vector512.LoadUnsafe(ref a) | Vector512.LoadUnsafe(ref b)).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step256(ref byte a, ref byte b, ref byte d)
        {
            (Vector256.LoadUnsafe(ref a) | Vector256.LoadUnsafe(ref b)).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step128(ref byte a, ref byte b, ref byte d)
        {
            (Vector128.LoadUnsafe(ref a) | Vector128.LoadUnsafe(ref b)).StoreUnsafe(ref d);
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step64(ref byte a, ref byte b, ref byte d)
        {
            WriteWord(ref d, ReadWord(ref a) | ReadWord(ref b));
            return 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Step8(ref byte a, ref byte b, ref byte d)
        {
            d = (byte)(a | b);
            return 0;
        }
    }
}
