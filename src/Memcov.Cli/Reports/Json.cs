using System.Text.Json;

namespace Memcov.Cli.Reports;

/// <summary>The one JSON style of the tool: snake_case names, indented.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>Writes <paramref name="value"/> as one JSON document and a newline.</summary>
    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static T? Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);
}
