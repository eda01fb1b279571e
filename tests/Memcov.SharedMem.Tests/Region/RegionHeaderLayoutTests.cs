using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// The C# mirrors of native structs have every offset and size that the native headers
/// static-assert, and the constants match the C defines. Structs that only libmemcov reads (the
/// region header, the map file's records) have no mirror.
/// </summary>
public sealed partial class RegionHeaderLayoutTests
{
    private static readonly Dictionary<string, Type?> s_mirrors = new()
    {
        ["mcov_module_entry"] = typeof(ModuleEntry),
        ["mcov_region_facts"] = typeof(Interop.Memcov.RegionFacts),
        ["mcov_region_counters"] = typeof(Interop.Memcov.RegionCounters),
        ["mcov_map_summary"] = typeof(Interop.Memcov.MapSummary),
        ["mcov_spawn_request"] = typeof(Interop.Memcov.SpawnRequest),
        ["mcov_run_outcome"] = typeof(Interop.Memcov.RunOutcome),
        ["mcov_region_header"] = null,
        ["mcov_lanes_header"] = null,
        ["mcov_lane_entry"] = null,
        ["mcov_map_header"] = null,
        ["mcov_map_module"] = null,
        ["mcov_map_pc"] = typeof(PcEntry),
    };

    [GeneratedRegex(@"MCOV_STATIC_ASSERT\(__builtin_offsetof\((\w+),\s*(\w+)\)\s*==\s*(\d+)")]
    private static partial Regex OffsetAssert();

    [GeneratedRegex(@"MCOV_STATIC_ASSERT\(sizeof\((\w+)\)\s*==\s*(\d+)")]
    private static partial Regex SizeAssert();

    private static string HeaderText(string file) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "native", "include", file));

    private static string AllHeaders() =>
        HeaderText("memcov_region.h") + HeaderText("memcov_map.h") + HeaderText("memcov_files.h") + HeaderText("memcov_spawn.h");

    [Fact]
    public void EveryOffsetAssertedInC_MatchesTheMirror()
    {
        var matches = OffsetAssert().Matches(AllHeaders());
        int checkedFields = 0;
        foreach (Match m in matches)
        {
            Assert.True(s_mirrors.TryGetValue(m.Groups[1].Value, out Type? type), $"struct {m.Groups[1].Value} is neither mirrored nor listed as unmirrored");
            if (type is null)
            {
                continue;
            }

            string field = ToPascalCase(m.Groups[2].Value);
            int expected = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(type.GetField(field) != null, $"{type.Name} has no field {field} for C's {m.Groups[2].Value}");
            Assert.True(
                expected == (int)Marshal.OffsetOf(type, field),
                $"{type.Name}.{field} is at {Marshal.OffsetOf(type, field)}, C asserts {expected}");
            checkedFields++;
        }

        Assert.True(checkedFields >= 20, $"expected the headers' offset asserts of mirrored structs, checked {checkedFields}");
    }

    [Fact]
    public void EverySizeAssertedInC_MatchesTheMirror()
    {
        int checkedTypes = 0;
        foreach (Match m in SizeAssert().Matches(AllHeaders()))
        {
            Assert.True(s_mirrors.TryGetValue(m.Groups[1].Value, out Type? type), $"struct {m.Groups[1].Value} is neither mirrored nor listed as unmirrored");
            if (type is null)
            {
                continue;
            }

            int expected = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, Marshal.SizeOf(type));
            int unsafeSize = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
            Assert.Equal(expected, unsafeSize);
            checkedTypes++;
        }

        Assert.Equal(7, checkedTypes);
    }

    [Fact]
    public void RunKinds_MatchTheCEnum()
    {
        string text = HeaderText("memcov_spawn.h");
        foreach (ServerRunKind kind in Enum.GetValues<ServerRunKind>())
        {
            string name = kind switch
            {
                ServerRunKind.TimedOut => "TIMED_OUT",
                ServerRunKind.NotRun => "NOT_RUN",
                _ => kind.ToString().ToUpperInvariant(),
            };
            Assert.Matches($@"MCOV_RUN_{name} = {(int)kind},", text);
        }

        Assert.Equal(5, Regex.Matches(text, @"MCOV_RUN_\w+ = \d+,").Count);
    }

    [Fact]
    public void Constants_MatchTheCDefines()
    {
        string text = HeaderText("memcov_region.h");
        Assert.Contains($"#define MCOV_REGION_MAGIC \"{RegionFormat.Magic}\"", text);
        Assert.Contains($"#define MCOV_REGION_VERSION {RegionFormat.Version}u", text);
        Assert.Contains($"#define MCOV_EDGE_ALIGN {RegionFormat.EdgeAlign}u", text);
        Assert.Contains($"#define MCOV_LANE_COUNT {RegionFormat.LaneCount}u", text);
        Assert.Contains($"#define MCOV_MODULE_TABLE_CAPACITY {RegionFormat.ModuleTableCapacity}u", text);
        Assert.Contains($"#define MCOV_REGION_NAME_MAX {RegionName.MaxLength}u", text);
        Assert.Contains($"#define MCOV_REGION_FILE_PREFIX \"{RegionName.FilePrefix}\"", text);
        Assert.Contains($"MCOV_REGION_MAP_OFFSET == {RegionFormat.MapOffset}u", text);
        Assert.Contains("#define MCOV_REGION_MAX_CAPACITY (1ull << 32)", text);
        Assert.Equal(1L << 32, RegionFormat.MaxCapacity);
        string map = HeaderText("memcov_map.h");
        Assert.Contains($"#define MCOV_MAP_MAGIC \"{CoverageMapFile.Magic}\"", map);
        Assert.Contains($"#define MCOV_MAP_VERSION {CoverageMapFile.Version}u", map);
        Assert.Contains("#define MCOV_MAP_MAX_BYTES (1ull << 40)", map);
        Assert.Equal(1L << 40, CoverageMapFile.FormatMaxBytes);
        string api = HeaderText("memcov.h") + HeaderText("memcov_files.h") + HeaderText("memcov_spawn.h");
        foreach (var field in typeof(Interop.Memcov).GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            .Where(f => f.Name.StartsWith("MCOV_", StringComparison.Ordinal)))
        {
            Assert.Contains($"{field.Name} = {field.GetValue(null)},", api);
        }
    }

    private static string ToPascalCase(string snake) =>
        string.Concat(snake.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
