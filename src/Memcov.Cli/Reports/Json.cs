using System.Text.Json;

namespace Memcov.Cli.Reports;

/// <summary>The one JSON style of the tool: snake_case names and enum values, indented.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes <paramref name="value"/> as one JSON document and a newline.</summary>
    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>The name an enum value has in the tool's JSON (snake_case).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static T? Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);
}
