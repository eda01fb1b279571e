using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Memcov.SharedMem.Tests;

/// <summary>The C# mirror has every offset and size that memcov_region.h static-asserts.</summary>
public sealed partial class RegionHeaderLayoutTests
{
    private static readonly Dictionary<string, Type> s_mirrors = new()
    {
        ["mcov_region_header"] = typeof(RegionHeader),
        ["mcov_module_entry"] = typeof(ModuleEntry),
    };

    [GeneratedRegex(@"_Static_assert\(__builtin_offsetof\((\w+),\s*(\w+)\)\s*==\s*(\d+)")]
    private static partial Regex OffsetAssert();

    [GeneratedRegex(@"_Static_assert\(sizeof\((\w+)\)\s*==\s*(\d+)")]
    private static partial Regex SizeAssert();

    private static string HeaderText() =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "native", "include", "memcov_region.h"));

    [Fact]
    public void EveryOffsetAssertedInC_MatchesTheMirror()
    {
        var matches = OffsetAssert().Matches(HeaderText());
        Assert.True(matches.Count >= 20, $"expected the header's ~21 offset asserts, parsed {matches.Count}");
        foreach (Match m in matches)
        {
            Type type = s_mirrors[m.Groups[1].Value];
            string field = ToPascalCase(m.Groups[2].Value);
            int expected = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(type.GetField(field) != null, $"{type.Name} has no field {field} for C's {m.Groups[2].Value}");
            Assert.True(
                expected == (int)Marshal.OffsetOf(type, field),
                $"{type.Name}.{field} is at {Marshal.OffsetOf(type, field)}, C asserts {expected}");
        }
    }

    [Fact]
    public void EverySizeAssertedInC_MatchesTheMirror()
    {
        var matches = SizeAssert().Matches(HeaderText());
        Assert.Equal(2, matches.Count);
        foreach (Match m in matches)
        {
            Type type = s_mirrors[m.Groups[1].Value];
            int expected = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, Marshal.SizeOf(type));
            int unsafeSize = type == typeof(RegionHeader) ? Unsafe.SizeOf<RegionHeader>() : Unsafe.SizeOf<ModuleEntry>();
            Assert.Equal(expected, unsafeSize);
        }
    }

    [Fact]
    public void Constants_MatchTheCDefines()
    {
        string text = HeaderText();
        Assert.Contains($"#define MCOV_REGION_MAGIC \"{RegionFormat.Magic}\"", text);
        Assert.Contains($"#define MCOV_REGION_VERSION {RegionFormat.Version}u", text);
        Assert.Contains($"#define MCOV_EDGE_ALIGN {RegionFormat.EdgeAlign}u", text);
        Assert.Contains($"#define MCOV_MODULE_TABLE_CAPACITY {RegionFormat.ModuleTableCapacity}u", text);
        Assert.Contains($"#define MCOV_REGION_NAME_MAX {RegionName.MaxLength}u", text);
        Assert.Contains($"#define MCOV_REGION_FILE_PREFIX \"{RegionName.FilePrefix}\"", text);
        Assert.Contains($"MCOV_REGION_MAP_OFFSET == {RegionFormat.MapOffset}u", text);
        Assert.Contains("#define MCOV_REGION_MAX_CAPACITY (1ull << 32)", text);
        Assert.Equal(1L << 32, RegionFormat.MaxCapacity);
    }

    private static string ToPascalCase(string snake) =>
        string.Concat(snake.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
