using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary><see cref="CoverageMap.AtomicOr(ReadOnlySpan{byte}, Span{byte})"/>: the union, exact counts, only the span's bytes.</summary>
public sealed unsafe class CoverageMapAtomicOrTests
{
    [Theory]
    [MemberData(nameof(WidthsAndContentPairs), MemberType = typeof(MapTestData))]
    public void AtomicOr_MatchesScalarOracle(int width, MapContent sourceContent, MapContent destinationContent)
    {
        foreach ((int length, int offset, int sourceOffset) in Cases())
        {
            byte[] sourceBuffer = Buffer(sourceContent, 0, length, sourceOffset);
            byte[] destinationBuffer = Buffer(destinationContent, 1, length, offset);
            ReadOnlySpan<byte> source = sourceBuffer.AsSpan(sourceOffset, length);
            Span<byte> destination = destinationBuffer.AsSpan(offset, length);
            byte[] expected = new byte[length];
            long expectedNew = 0;
            for (int i = 0; i < length; i++)
            {
                expected[i] = (byte)(source[i] | destination[i]);
                expectedNew += destination[i] == 0 && source[i] != 0 ? 1 : 0;
            }

            string context = Describe(width, length, offset);
            Assert.Equal((context, expectedNew), (context, CoverageMap.AtomicOr(source, destination, (KernelWidth)width)));
            AssertSameBytes(expected, destination, context);
            AssertGuards(destinationBuffer, offset, length, context);

            Assert.Equal((context, 0L), (context, CoverageMap.AtomicOr(source, destination, (KernelWidth)width)));
        }
    }

    public static TheoryData<int, int> WidthsAndNewWordPercents()
    {
        var data = new TheoryData<int, int>();
        foreach (KernelWidth width in SupportedWidths())
        {
            foreach (int percent in (int[])[1, 50, 100])
            {
                data.Add((int)width, percent);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WidthsAndNewWordPercents))]
    public void AtomicOr_MatchesScalarOracle_WhenAShareOfTheWordsGainsEdges(int width, int percent)
    {
        // A vector can have every word gain (exchanged from the vector read), some, or none.
        foreach ((int length, int offset, int sourceOffset) in Cases())
        {
            byte[] sourceBuffer = Buffer(MapContent.Half, 0, length, sourceOffset);
            byte[] destinationBuffer = Buffer(MapContent.Sparse, 1, length, offset);
            ReadOnlySpan<byte> source = sourceBuffer.AsSpan(sourceOffset, length);
            Span<byte> destination = destinationBuffer.AsSpan(offset, length);

            // Words are 8-byte groups of the buffer (array data is 8-aligned on 64-bit runtimes; if
            // not, only the pattern shifts). A chosen word lacks every edge of the source, the
            // others have them all.
            var words = new Random((percent * 100_003) + (length * 8) + offset);
            bool chosen = false;
            for (int i = 0; i < length; i++)
            {
                if (i == 0 || (offset + i) % 8 == 0)
                {
                    chosen = words.Next(100) < percent;
                }

                destination[i] = chosen ? (source[i] != 0 ? (byte)0 : destination[i]) : (byte)(destination[i] | source[i]);
            }

            byte[] expected = new byte[length];
            long expectedNew = 0;
            for (int i = 0; i < length; i++)
            {
                expected[i] = (byte)(source[i] | destination[i]);
                expectedNew += destination[i] == 0 && source[i] != 0 ? 1 : 0;
            }

            string context = $"{Describe(width, length, offset)}, {percent} % of the words new";
            Assert.Equal((context, expectedNew), (context, CoverageMap.AtomicOr(source, destination, (KernelWidth)width)));
            AssertSameBytes(expected, destination, context);
            AssertGuards(destinationBuffer, offset, length, context);
        }
    }

    [Theory]
    [MemberData(nameof(Widths), MemberType = typeof(MapTestData))]
    public void AtomicOr_CountsExactly_WhenWordsChangedAfterTheKernelReadThem(int width)
    {
        // The kernel decides on vectors of an older copy of the destination, as if other writers
        // had set bits since it read them: each exchange from such a word finds it changed, writes
        // nothing, and that word and the rest of its vector are merged word by word.
        var random = new Random(width);
        foreach (MapContent sourceContent in (MapContent[])[MapContent.AllSet, MapContent.Half, MapContent.Sparse])
        {
            foreach (MapContent destinationContent in (MapContent[])[MapContent.Sparse, MapContent.Half])
            {
                foreach ((int length, int offset, int sourceOffset) in Cases())
                {
                    byte[] sourceBuffer = Buffer(sourceContent, 0, length, sourceOffset);
                    byte[] destinationBuffer = Buffer(destinationContent, 1, length, offset);
                    ReadOnlySpan<byte> source = sourceBuffer.AsSpan(sourceOffset, length);
                    Span<byte> destination = destinationBuffer.AsSpan(offset, length);
                    byte[] seen = destination.ToArray();
                    byte staleMask = 0xFF;
                    for (int i = 0; i < length; i++)
                    {
                        if (i == 0 || (offset + i) % 8 == 0)
                        {
                            staleMask = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)0xFF;
                        }

                        seen[i] &= staleMask;
                    }

                    byte[] expected = new byte[length];
                    long expectedNew = 0;
                    for (int i = 0; i < length; i++)
                    {
                        expected[i] = (byte)(source[i] | destination[i]);
                        expectedNew += destination[i] == 0 && source[i] != 0 ? 1 : 0;
                    }

                    string context = $"{Describe(width, length, offset)}, {sourceContent} into {destinationContent}";
                    Assert.Equal((context, expectedNew), (context, CoverageMap.AtomicOr(source, seen, destination, (KernelWidth)width)));
                    AssertSameBytes(expected, destination, context);
                    AssertGuards(destinationBuffer, offset, length, context);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths), MemberType = typeof(MapTestData))]
    public void AtomicOr_CountsExactly_WhileAnotherWriterAddsBitsToHitEdges(int width)
    {
        // Another thread keeps OR-ing bits into random words of the destination, only into bytes
        // that are already non-zero: it adds no edge, so the merge's count stays exact, but the
        // words it changes make exchanges from the vectors the merge read find them changed.
        const int Length = 512 + 3;
        const int Rounds = 500;
        nuint size = (nuint)(Offsets + Length + GuardLength);
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(size, 64);
        try
        {
            var random = new Random(width);
            for (int round = 0; round < Rounds; round++)
            {
                int offset = round % Offsets;
                var whole = new Span<byte>(buffer, (int)size);
                whole.Fill(Guard);
                Span<byte> destination = whole.Slice(offset, Length);
                Fill(MapContent.Sparse, round % 2, destination);
                byte[] initial = destination.ToArray();
                byte[] source = new byte[Length];
                random.NextBytes(source);
                byte[] merged = new byte[Length];
                for (int i = 0; i < Length; i++)
                {
                    merged[i] = (byte)(initial[i] | source[i]);
                }

                // The whole aligned words of the span, which the other writer may change.
                ulong* firstWord = (ulong*)(((nuint)(buffer + offset) + 7) & ~(nuint)7);
                int wordCount = (int)(((nuint)(buffer + offset + Length) - (nuint)firstWord) / sizeof(ulong));
                int seed = random.Next();
                bool stop = false;
                bool writing = false;
                var writer = new Thread(() =>
                {
                    var rng = new Random(seed);
                    while (!Volatile.Read(ref stop))
                    {
                        Volatile.Write(ref writing, true);
                        ref ulong word = ref firstWord[rng.Next(wordCount)];
                        ulong seen = Volatile.Read(ref word);
                        ulong hitBytes = (((seen & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | seen) & 0x8080_8080_8080_8080;
                        Interlocked.Or(ref word, (ulong)rng.NextInt64() & ((hitBytes >> 7) * 0xFF));
                    }
                });
                writer.Start();
                while (!Volatile.Read(ref writing))
                {
                    Thread.SpinWait(16);
                }

                long added = CoverageMap.AtomicOr(source, destination, (KernelWidth)width);
                Volatile.Write(ref stop, true);
                writer.Join();

                string context = $"{Describe(width, Length, offset)}, round {round}";
                Assert.Equal((context, NonZero(merged) - NonZero(initial)), (context, added));
                for (int i = 0; i < Length; i++)
                {
                    Assert.True((destination[i] & merged[i]) == merged[i] && (destination[i] != 0) == (merged[i] != 0), $"{context}: byte {i} is 0x{destination[i]:X2}, merged 0x{merged[i]:X2}");
                }

                AssertGuards(whole, offset, Length, context);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    [Theory]
    [MemberData(nameof(Widths), MemberType = typeof(MapTestData))]
    public void AtomicOr_ConcurrentMerges_GiveUnionAndCountEachNewEdgeOnce(int width)
    {
        const int Threads = 4;
        const int Length = (1 << 16) + 5;
        // Each thread merges in chunks of its own odd size, so one thread's unaligned chunk edges
        // (byte compare-exchange) race with another's aligned words (64-bit OR) on the same bytes.
        int[] chunkSizes = [4096, 1001, 71, 333];
        nuint size = (nuint)(Offsets + Length + GuardLength);
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(size, 64);
        try
        {
            for (int round = 0; round < Offsets; round++)
            {
                int offset = round;
                var whole = new Span<byte>(buffer, (int)size);
                whole.Fill(Guard);
                Span<byte> destination = whole.Slice(offset, Length);
                Fill(MapContent.Sparse, round % 2, destination);
                byte[] initial = destination.ToArray();

                var random = new Random(round);
                byte[][] sources = new byte[Threads][];
                byte[] union = (byte[])initial.Clone();
                for (int t = 0; t < Threads; t++)
                {
                    sources[t] = new byte[Length];
                    for (int i = 0; i < Length; i++)
                    {
                        sources[t][i] = random.Next(3) == 0 ? (byte)random.Next(1, 256) : (byte)0;
                        union[i] |= sources[t][i];
                    }
                }

                long added = 0;
                nint destinationAddress = (nint)(buffer + offset);
                using var start = new Barrier(Threads);
                var threads = new Thread[Threads];
                for (int t = 0; t < Threads; t++)
                {
                    int thread = t;
                    threads[t] = new Thread(() =>
                    {
                        var dest = new Span<byte>((void*)destinationAddress, Length);
                        int chunk = chunkSizes[thread];
                        int chunks = (Length + chunk - 1) / chunk;
                        long mine = 0;
                        start.SignalAndWait();
                        for (int c = 0; c < chunks; c++)
                        {
                            // Half the threads go backwards, so they meet the others mid-map.
                            int at = (thread % 2 == 0 ? c : chunks - 1 - c) * chunk;
                            int n = Math.Min(chunk, Length - at);
                            mine += CoverageMap.AtomicOr(sources[thread].AsSpan(at, n), dest.Slice(at, n), (KernelWidth)width);
                        }

                        Interlocked.Add(ref added, mine);
                    });
                    threads[t].Start();
                }

                foreach (Thread thread in threads)
                {
                    thread.Join();
                }

                string context = Describe(width, Length, offset);
                AssertSameBytes(union, destination, context);
                Assert.Equal((context, NonZero(union) - NonZero(initial)), (context, added));
                AssertGuards(whole, offset, Length, context);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    [Fact]
    public void AtomicOr_OnlyReads_WhenSourceAddsNothing()
    {
        // The destination is a read-only view of a mapping: any store to it, even of an unchanged
        // value, would fault. A source whose bits the destination already has must cost reads only.
        const int Size = 1 << 16;
        using var file = MemoryMappedFile.CreateNew(null, Size);
        using var writable = file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite);
        using var readOnly = file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.Read);
        byte* writablePointer = null;
        byte* readOnlyPointer = null;
        writable.SafeMemoryMappedViewHandle.AcquirePointer(ref writablePointer);
        readOnly.SafeMemoryMappedViewHandle.AcquirePointer(ref readOnlyPointer);
        try
        {
            var content = new Span<byte>(writablePointer + writable.PointerOffset, Size);
            Fill(MapContent.Half, 0, content);
            byte[] subset = content.ToArray();
            var random = new Random(7);
            for (int i = 0; i < subset.Length; i++)
            {
                subset[i] &= (byte)random.Next(256);
            }

            var mapped = new Span<byte>(readOnlyPointer + readOnly.PointerOffset, Size);
            foreach (KernelWidth width in SupportedWidths())
            {
                foreach ((int length, int offset, _) in Cases().Where(c => c.Length + c.Offset <= Size))
                {
                    long added = CoverageMap.AtomicOr(subset.AsSpan(offset, length), mapped.Slice(offset, length), width);
                    Assert.Equal((Describe((int)width, length, offset), 0L), (Describe((int)width, length, offset), added));
                }
            }
        }
        finally
        {
            readOnly.SafeMemoryMappedViewHandle.ReleasePointer();
            writable.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    [Fact]
    public void AtomicOr_PublicOverload_ReturnsNewlySetEdges()
    {
        byte[] source = [1, 2, 0, 4, 0, 6, 7, 8, 9, 10, 0];
        byte[] destination = [0, 1, 0, 0, 5, 0, 7, 0, 0, 0, 0];

        long added = CoverageMap.AtomicOr(source, destination);

        Assert.Equal(6, added);
        Assert.Equal([1, 3, 0, 4, 5, 6, 7, 8, 9, 10, 0], destination);
    }

    [Fact]
    public void AtomicOr_Throws_WhenLengthsDifferOrSpansPartlyOverlap()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.AtomicOr(new byte[16], new byte[17]));
        Assert.Contains("source has 16 bytes and destination has 17", e.Message, StringComparison.Ordinal);
        byte[] buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => CoverageMap.AtomicOr(buffer.AsSpan(8, 32), buffer.AsSpan(0, 32)));
        Assert.Equal(0, CoverageMap.AtomicOr(buffer, buffer));
    }
}
