namespace Memcov.SharedMem;

/// <summary>
/// One sample of a coverage feed. <see cref="NewEdges"/> points into the reader's buffer: it is
/// valid until the next read.
/// </summary>
public readonly struct FeedRecord
{
    /// <summary>Creates a record.</summary>
    /// <param name="elapsed">Time since the feed started.</param>
    /// <param name="covered">Edges covered in the region at that time.</param>
    /// <param name="allocated">Edge slots the region had handed out to modules at that time.</param>
    /// <param name="newEdges">Slots hit for the first time since the feed started.</param>
    /// <param name="input">The input whose run this record's new edges are from, or null.</param>
    public FeedRecord(TimeSpan elapsed, long covered, long allocated, ReadOnlyMemory<uint> newEdges, string? input = null)
    {
        Input = input;
        Elapsed = elapsed;
        Covered = covered;
        Allocated = allocated;
        NewEdges = newEdges;
    }

    /// <summary>Time since the feed started.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Edges covered in the region at that time.</summary>
    public long Covered { get; }

    /// <summary>Edge slots the region had handed out to modules at that time.</summary>
    public long Allocated { get; }

    /// <summary>
    /// The input that first reached <see cref="NewEdges"/> (<c>memcov run --record</c> writes a record
    /// per input that added edges), or null for a sample of whatever the region gained.
    /// </summary>
    public string? Input { get; }

    /// <summary>Slots hit for the first time since the feed started, ascending.</summary>
    public ReadOnlyMemory<uint> NewEdges { get; }
}
