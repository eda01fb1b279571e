using System.Text.Json;
using System.Text.Json.Serialization;
using Memcov.Cli.Campaign;
using Memcov.Cli.Commands;
using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>The one JSON style of the tool: snake_case names and enum values, indented.</summary>
internal static class Json
{
    // Source-generated metadata: no reflection emit at start-up, which cost every --json command
    // tens of milliseconds.
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = JsonDocuments.Default,
    };

    /// <summary>Writes <paramref name="value"/> as one JSON document and a newline.</summary>
    public static void Write<T>(TextWriter output, T value) =>
        output.WriteLine(JsonSerializer.Serialize(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T))));

    /// <summary>The name an enum value has in the tool's JSON (snake_case).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}

/// <summary>Every document the commands write with <c>--json</c>.</summary>
[JsonSerializable(typeof(RunSummary))]
[JsonSerializable(typeof(CminSummary))]
[JsonSerializable(typeof(ReportJson))]
[JsonSerializable(typeof(RegionReport))]
[JsonSerializable(typeof(IReadOnlyList<RegionSummary>))]
[JsonSerializable(typeof(List<FeedEntry>))]
[JsonSerializable(typeof(DiffCommand.DiffReport))]
[JsonSerializable(typeof(FunctionDiff))]
internal sealed partial class JsonDocuments : JsonSerializerContext;
