using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Memcov.Cli.Reports;

namespace Memcov.Cli;

/// <summary>
/// Numeric options with bounds. A value that is not a number, or one outside the bounds (NaN and the
/// infinities among them), is a parse error whose message names the option and its limits, so it
/// ends as one <c>memcov:</c> line and exit code 2 before any command runs.
/// </summary>
internal static class BoundedOption
{
    /// <summary>An option that takes one number from <paramref name="min"/> to <paramref name="max"/>, with a default.</summary>
    /// <param name="name">The option, e.g. <c>--jobs</c>.</param>
    /// <param name="description">The help text, without a final period: the range follows it.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <param name="unit">What the number counts, for messages and help ("edges", "seconds").</param>
    /// <param name="defaultValue">The value when the option is not given.</param>
    /// <param name="aliases">Other names of the option.</param>
    public static Option<T> Create<T>(string name, string description, T min, T max, string unit, T defaultValue, params string[] aliases)
        where T : struct, INumber<T>
    {
        var option = new Option<T>(name, aliases)
        {
            Description = $"{description} ({Range(min, max, unit)}).",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => Parse(result, name, min, max, unit) ?? default,
        };
        return option;
    }

    /// <summary>An option that takes one number from <paramref name="min"/> to <paramref name="max"/>; null when it is not given.</summary>
    /// <param name="name">The option, e.g. <c>--seconds</c>.</param>
    /// <param name="description">The help text, without a final period: the range follows it.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <param name="unit">What the number counts, for messages and help.</param>
    public static Option<T?> Optional<T>(string name, string description, T min, T max, string unit)
        where T : struct, INumber<T>
    {
        return new Option<T?>(name)
        {
            Description = $"{description} ({Range(min, max, unit)}).",
            CustomParser = result => Parse(result, name, min, max, unit),
        };
    }

    /// <summary>The accepted range as the help and the messages state it: "1 to 1024 runs".</summary>
    public static string Range<T>(T min, T max, string unit)
        where T : struct, INumber<T> =>
        string.Create(CultureInfo.InvariantCulture, $"{min} to {max} {unit}");

    private static T? Parse<T>(ArgumentResult result, string name, T min, T max, string unit)
        where T : struct, INumber<T>
    {
        // Integers in decimal only ("1e6" and "0x10" are refused); reals with an exponent.
        NumberStyles styles = typeof(T) == typeof(double) ? NumberStyles.Float : NumberStyles.Integer;
        string token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        // The comparison is written so that NaN, which compares false with everything, is refused too.
        if (T.TryParse(token, styles, CultureInfo.InvariantCulture, out T value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} must be {Range(min, max, unit)}, not '{Printable.Escape(token)}'.");
        return null;
    }
}
