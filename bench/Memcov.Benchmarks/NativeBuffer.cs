using System.Runtime.InteropServices;

namespace Memcov.Benchmarks;

/// <summary>A 64-byte aligned block of native memory, as a coverage map lives outside the GC heap.</summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private const int Alignment = 64;

    public NativeBuffer(int length)
    {
        Length = length;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, Alignment);
        Span.Clear();
    }

    public byte* Pointer { get; private set; }

    public int Length { get; }

    public Span<byte> Span => new(Pointer, Length);

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
