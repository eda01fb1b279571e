using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Memcov.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release -- --filter '*'</c> with the pinned job, or
/// <c>-- --smoke --filter '*'</c> to only check that each one starts and finishes (BenchmarkDotNet's
/// dry job, in process). Other arguments go to <see cref="BenchmarkSwitcher"/>.
/// </summary>
public static class Program
{
    /// <summary>
    /// The pinned job: fixed launch, warm-up and iteration counts so the whole suite takes a known
    /// time (a few minutes on 2 cores), and 100 ms iterations so even 64 KiB kernels run many
    /// times per iteration.
    /// </summary>
    public static readonly Job Pinned = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(7)
        .WithIterationTime(TimeInterval.FromMilliseconds(100))
        .WithId("Pinned");

    public static int Main(string[] args)
    {
        bool smoke = args.Contains("--smoke");
        string[] rest = args.Where(a => a != "--smoke").ToArray();
        Job job = smoke ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("Smoke") : Pinned;
        IConfig config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Brief)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.StopOnFirstError);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
        bool failed = !summaries.Any() || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
