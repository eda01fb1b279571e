namespace Memcov.SharedMem;

/// <summary>
/// Which functions and lines a map's edges reached: each edge's address from its module's PC table,
/// named by the module's line tables (llvm-symbolizer), summed per source file, function and line.
/// An edge counts for every function and line of its inline chain.
/// </summary>
/// <remarks>
/// A report reads the map (a region's union, or a map file) and each module's binary; it works after
/// every process that recorded has exited. A module without a PC table, or whose binary is gone,
/// is listed with the reason and adds no files or functions.
/// </remarks>
public sealed class CoverageReport
{
    private const string NoPcTable =
        "it has no PC table: it was compiled without -fsanitize-coverage=pc-table (memcov_instrument adds it), " +
        "or the PC file beside the region is missing or not its table";

    private CoverageReport(IReadOnlyList<ReportModule> modules, IReadOnlyList<SourceFileCoverage> files)
    {
        Modules = modules;
        Files = files;
    }

    /// <summary>Every module of the map, in map order.</summary>
    public IReadOnlyList<ReportModule> Modules { get; }

    /// <summary>The source files with edges, those with the most uncovered edges first.</summary>
    public IReadOnlyList<SourceFileCoverage> Files { get; }

    /// <summary>Edges of every module.</summary>
    public long Edges => Modules.Sum(m => m.Edges);

    /// <summary>Covered edges of every module.</summary>
    public long Covered => Modules.Sum(m => m.Covered);

    /// <summary>Every function of every file.</summary>
    public IEnumerable<FunctionCoverage> AllFunctions => Files.SelectMany(f => f.Functions);

    /// <summary>Functions with edges.</summary>
    public int Functions => AllFunctions.Count(f => f.Status != FunctionStatus.NotInstrumented);

    /// <summary>Functions with at least one covered edge.</summary>
    public int FunctionsCovered => AllFunctions.Count(f => f.Covered > 0);

    /// <summary>Lines with edges.</summary>
    public int Lines => Files.Sum(f => f.Lines.Count);

    /// <summary>Lines with at least one covered edge.</summary>
    public int LinesCovered => Files.Sum(f => f.LinesCovered);

    /// <summary>The report of a region's union.</summary>
    /// <param name="region">The region.</param>
    /// <param name="options">Where binaries, sources and the symbolizer are; default: at their recorded paths.</param>
    /// <param name="cancellationToken">Stops the report (and kills a running symbolizer).</param>
    /// <returns>The report.</returns>
    /// <exception cref="FileNotFoundException">A module needs symbolizing and no llvm-symbolizer is installed.</exception>
    /// <exception cref="IOException">The symbolizer failed or ran too long.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CoverageReport Create(CoverageRegion region, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(region);
        return Create(CoverageMapFile.FromRegion(region), options, cancellationToken);
    }

    /// <summary>The report of a map.</summary>
    /// <param name="map">The map (its modules' PC tables name the edges).</param>
    /// <param name="options">Where binaries, sources and the symbolizer are; default: at their recorded paths.</param>
    /// <param name="cancellationToken">Stops the report (and kills a running symbolizer).</param>
    /// <returns>The report.</returns>
    /// <exception cref="FileNotFoundException">A module needs symbolizing and no llvm-symbolizer is installed.</exception>
    /// <exception cref="IOException">The symbolizer failed or ran too long.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CoverageReport Create(CoverageMapFile map, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(map);
        options ??= new ReportOptions();
        string? symbolizer = null;
        var tally = new Tally();
        var modules = new List<ReportModule>(map.Modules.Count);
        foreach (MapModule m in map.Modules)
        {
            long covered = m.CountCovered();
            if (m.PcTable is not { } table)
            {
                modules.Add(new ReportModule(m.Path, m.Identity, m.Identity.EdgeCount, covered, false, null, NoPcTable));
                continue;
            }

            (string? binary, ElfFile? elf, string? problem) = ModuleBinary.Find(m, options);
            if (binary is null || elf is null)
            {
                modules.Add(new ReportModule(m.Path, m.Identity, m.Identity.EdgeCount, covered, true, null, problem));
                continue;
            }

            symbolizer ??= LlvmSymbolizer.Find(options.SymbolizerPath);
            var addresses = new List<ulong>(table.Length + elf.Functions.Count);
            foreach (PcEntry pc in table.Span)
            {
                addresses.Add(pc.Offset);
            }

            addresses.AddRange(elf.Functions.Select(f => f.Address));
            SourceFrame[][] frames = LlvmSymbolizer.Symbolize(symbolizer, binary, addresses, cancellationToken);
            tally.AddModule(m.Path, m.Map.Span, frames.AsSpan(0, table.Length), frames.AsSpan(table.Length));
            modules.Add(new ReportModule(m.Path, m.Identity, m.Identity.EdgeCount, covered, true, binary, null));
        }

        return new CoverageReport(modules, tally.Files(options));
    }

    /// <summary>
    /// The functions whose covered-edge count differs between two reports: reached (none covered in
    /// <paramref name="first"/>, some in <paramref name="second"/>), lost (the reverse), and changed.
    /// Functions are matched by source file and name; a function missing from a report has 0 there.
    /// </summary>
    /// <param name="first">One report.</param>
    /// <param name="second">The other.</param>
    /// <returns>The differences, each list by file and name.</returns>
    public static FunctionDiff DiffFunctions(CoverageReport first, CoverageReport second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        Dictionary<(string File, string Name), long> a = CoveredByFunction(first), b = CoveredByFunction(second);
        var changes = a.Keys.Union(b.Keys)
            .Select(k => new FunctionChange(k.Name, k.File, a.GetValueOrDefault(k), b.GetValueOrDefault(k)))
            .Where(c => c.First != c.Second)
            .OrderBy(c => c.File, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return new FunctionDiff(
            [.. changes.Where(c => c.First == 0)],
            [.. changes.Where(c => c.Second == 0)],
            [.. changes.Where(c => c.First != 0 && c.Second != 0)]);
    }

    private static Dictionary<(string File, string Name), long> CoveredByFunction(CoverageReport report)
    {
        var covered = new Dictionary<(string File, string Name), long>();
        foreach (FunctionCoverage f in report.AllFunctions)
        {
            covered[(f.File, f.Name)] = covered.GetValueOrDefault((f.File, f.Name)) + f.Covered;
        }

        return covered;
    }

    /// <summary>The sums of every module's edges per file, function and line.</summary>
    private sealed class Tally
    {
        private readonly Dictionary<string, Counts> _files = new(StringComparer.Ordinal);
        private readonly Dictionary<(string File, string Name, string Module), FunctionCounts> _functions = [];
        private readonly Dictionary<(string File, int Line), Counts> _lines = [];

        /// <summary>Adds a module: <paramref name="edges"/> are the frames of its edges, <paramref name="symbols"/> of its function symbols.</summary>
        public void AddModule(string module, ReadOnlySpan<byte> map, ReadOnlySpan<SourceFrame[]> edges, ReadOnlySpan<SourceFrame[]> symbols)
        {
            var files = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < edges.Length; i++)
            {
                int hit = map[i] != 0 ? 1 : 0;
                SourceFrame[] frames = edges[i];
                for (int j = 0; j < frames.Length; j++)
                {
                    SourceFrame f = frames[j];
                    files.Add(f.File);
                    if (!Earlier(frames, j, static (x, y) => x.File == y.File))
                    {
                        Get(_files, f.File).Add(hit);
                    }

                    if (!Earlier(frames, j, static (x, y) => x.File == y.File && x.Function == y.Function))
                    {
                        FunctionCounts fc = Get(_functions, (f.File, f.Function, module));
                        fc.Add(hit);
                        fc.SeeLine(f.Line);
                    }

                    if (f.Line > 0 && !Earlier(frames, j, static (x, y) => x.File == y.File && x.Line == y.Line))
                    {
                        Get(_lines, (f.File, f.Line)).Add(hit);
                    }
                }
            }

            // A function symbol of an instrumented file whose function no edge reached has no edge of its own.
            foreach (SourceFrame[] frames in symbols)
            {
                if (frames.Length > 0 && frames[^1] is var f && files.Contains(f.File) &&
                    !_functions.ContainsKey((f.File, f.Function, module)))
                {
                    Get(_functions, (f.File, f.Function, module)).SeeLine(f.Line);
                }
            }
        }

        public List<SourceFileCoverage> Files(ReportOptions options)
        {
            var functions = _functions.GroupBy(kv => kv.Key.File, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(kv => new FunctionCoverage(kv.Key.Name, kv.Key.File,
                    kv.Value.Line == int.MaxValue ? 0 : kv.Value.Line, kv.Key.Module, kv.Value.Edges, kv.Value.Covered)), StringComparer.Ordinal);
            var lines = _lines.GroupBy(kv => kv.Key.File, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(kv => new LineCoverage(kv.Key.Line, (int)kv.Value.Edges, (int)kv.Value.Covered)), StringComparer.Ordinal);
            return [.. _files
                .Select(kv => new SourceFileCoverage(kv.Key, SourceOf(kv.Key, options), kv.Value.Edges, kv.Value.Covered,
                    [.. functions.GetValueOrDefault(kv.Key, []).OrderBy(f => f.Status == FunctionStatus.NotInstrumented)
                        .ThenByDescending(f => f.Edges - f.Covered).ThenBy(f => f.Line).ThenBy(f => f.Name, StringComparer.Ordinal)],
                    [.. lines.GetValueOrDefault(kv.Key, []).OrderBy(l => l.Line)]))
                .OrderByDescending(f => f.Edges - f.Covered).ThenBy(f => f.Path, StringComparer.Ordinal)];
        }

        // The first source root whose FROM is a leading part of the path (whole components) and
        // whose file exists; else the path itself, if it exists.
        private static string? SourceOf(string path, ReportOptions options)
        {
            foreach ((string from, string to) in options.SourceRoots)
            {
                string prefix = from.TrimEnd('/');
                if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length] == '/')
                {
                    string mapped = to.TrimEnd('/') + path[prefix.Length..];
                    if (File.Exists(mapped))
                    {
                        return mapped;
                    }
                }
            }

            return File.Exists(path) ? path : null;
        }

        private static bool Earlier(SourceFrame[] frames, int j, Func<SourceFrame, SourceFrame, bool> same)
        {
            for (int k = 0; k < j; k++)
            {
                if (same(frames[k], frames[j]))
                {
                    return true;
                }
            }

            return false;
        }

        private static TValue Get<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key)
            where TKey : notnull
            where TValue : new()
        {
            if (!map.TryGetValue(key, out TValue? value))
            {
                value = new TValue();
                map.Add(key, value);
            }

            return value;
        }
    }

    private class Counts
    {
        public long Edges { get; private set; }

        public long Covered { get; private set; }

        public void Add(int hit)
        {
            Edges++;
            Covered += hit;
        }
    }

    private sealed class FunctionCounts : Counts
    {
        public int Line { get; private set; } = int.MaxValue;

        public void SeeLine(int line)
        {
            if (line > 0 && line < Line)
            {
                Line = line;
            }
        }
    }
}
