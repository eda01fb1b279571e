// A .NET child for the cross-process tests: loads instrumented sample modules, joins a region
// (MemcovNative.Attach, or MEMCOV_REGION at the first module's init), runs inputs on several
// threads, prints one "ready" line and waits for a line on stdin, so the parent reads the region
// while this process is still alive (and may kill it there).
//
//   Memcov.TestChild --dir DIR [--modules a,b] [--first N] [--count N] [--threads N]
//                    [--attach NAME] [--attach-before-load]
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Memcov.SharedMem;
using Memcov.TestChild;

try
{
    var options = Options.Parse(args);
    if (options.Attach is not null && options.AttachBeforeLoad)
    {
        MemcovNative.Attach(options.Attach);
    }

    // Loading a module registers it; with MEMCOV_REGION set, the first one joins the region.
    var entries = options.Modules
        .Select(m => SampleModule.Load(Path.Combine(options.Dir, $"libmcov_sample_{m}.so"), $"sample_{m}_run"))
        .ToArray();

    if (options.Attach is not null && !options.AttachBeforeLoad)
    {
        MemcovNative.Attach(options.Attach);
    }

    var inputs = Enumerable.Range(options.First, options.Count).Where(i => i < SampleInputs.All.Length).ToArray();
    var threads = Enumerable.Range(0, options.Threads).Select(t => new Thread(() =>
    {
        // Thread t takes every Threads-th input, so the threads share the work evenly.
        for (int i = t; i < inputs.Length; i += options.Threads)
        {
            foreach (SampleModule entry in entries)
            {
                entry.Run(SampleInputs.All[inputs[i]]);
            }
        }
    })).ToArray();
    Array.ForEach(threads, t => t.Start());
    Array.ForEach(threads, t => t.Join());

    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ready attached={(MemcovNative.IsAttached ? 1 : 0)} region={MemcovNative.RegionName} now={MemcovNative.GetNow()} " +
        $"modules={MemcovNative.ModuleCount} private={MemcovNative.PrivateModuleCount} library={MemcovNative.LibraryPath}"));
    Console.Out.Flush();
    Console.In.ReadLine();
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Memcov.TestChild: {e}");
    return 1;
}

namespace Memcov.TestChild
{
    /// <summary>The command line.</summary>
    internal sealed record Options(
        string Dir, string[] Modules, int First, int Count, int Threads, string? Attach, bool AttachBeforeLoad)
    {
        public static Options Parse(string[] args)
        {
            string? dir = null, attach = null;
            string[] modules = ["a", "b"];
            int first = 0, count = SampleInputs.All.Length, threads = 1;
            bool before = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--dir": dir = Next(); break;
                    case "--modules": modules = Next().Split(','); break;
                    case "--first": first = NextInt(); break;
                    case "--count": count = NextInt(); break;
                    case "--threads": threads = NextInt(); break;
                    case "--attach": attach = Next(); break;
                    case "--attach-before-load": before = true; break;
                    default: throw new ArgumentException($"unknown argument {args[i]}");
                }
            }

            return new Options(dir ?? throw new ArgumentException("--dir is required"), modules, first, count, threads, attach, before);
        }
    }

    /// <summary>An instrumented sample module and its int64_t run(const char *input) entry point.</summary>
    internal sealed unsafe class SampleModule
    {
        private readonly delegate* unmanaged<byte*, long> _run;

        private SampleModule(delegate* unmanaged<byte*, long> run) => _run = run;

        public static SampleModule Load(string path, string entry) =>
            new((delegate* unmanaged<byte*, long>)NativeLibrary.GetExport(NativeLibrary.Load(path), entry));

        public long Run(string input)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(input + "\0");
            fixed (byte* p = utf8)
            {
                return _run(p);
            }
        }
    }

    /// <summary>
    /// The inputs of native/tests/support.c (t_inputs), in the same order, so this child and
    /// mcov_worker cover the same edges for the same input indexes.
    /// </summary>
    internal static class SampleInputs
    {
        public static readonly string[] All =
        [
            "1+2", "(3*4)-5", "0x1F%7", "10/0", "!0 == 1", "((((1))))",
            "2<3", "4>5", "-(-7)", "1 +", "abc", "0xff*0XAB",
            "9%0", "(1+2", "7 7", "if x for", "while(1){", "return 42;",
            "a.b,c;d:e", "x_y z", "\t\n ", "#@!", "12 34 56", "ret",
        ];
    }
}
