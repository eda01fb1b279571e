// Creates a region through the package's runtime, loads an instrumented sample module (its
// DT_NEEDED libmemcov.so resolves to the copy loaded already), runs inputs, and prints what the
// runtime and the region reader count:
//   library=PATH
//   covered=N now=N modules=N
using System.Runtime.InteropServices;
using System.Text;
using Memcov.SharedMem;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackageTest path/to/libmcov_sample_a.so");
    return 2;
}

string name = $"package-test-{Environment.ProcessId}";
MemcovNative.CreateRegion(name, 4096);
try
{
    Console.WriteLine($"library={MemcovNative.LibraryPath}");
    nint run = NativeLibrary.GetExport(NativeLibrary.Load(args[0]), "sample_a_run");
    foreach (string input in new[] { "1+2", "(3*4)-5", "0x1F%7", "10/0", "!0 == 1", "abc" })
    {
        Run(run, input);
    }

    using CoverageRegion region = CoverageRegion.Attach(name);
    Console.WriteLine($"covered={region.CountCovered()} now={MemcovNative.GetNow()} modules={region.ModuleCount}");
    return 0;
}
finally
{
    MemcovNative.Detach();
    MemcovNative.RemoveRegion(name);
}

// int64_t sample_a_run(const char *input)
static unsafe long Run(nint entry, string input)
{
    byte[] utf8 = Encoding.UTF8.GetBytes(input + "\0");
    fixed (byte* p = utf8)
    {
        return ((delegate* unmanaged<byte*, long>)entry)(p);
    }
}
