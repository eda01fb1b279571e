using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Memcov.SharedMem.Tests;

/// <summary>Creates regions with the native runtime and runs its mcov_worker, for cross-process tests.</summary>
internal static unsafe class NativeMemcov
{
    private static readonly Lock s_lock = new();
    private static nint s_library;

    /// <summary>
    /// Loads the native release build's libmemcov.so into this process, once. MemcovNative then
    /// binds to this copy, so the test host holds one runtime.
    /// </summary>
    public static nint Load()
    {
        lock (s_lock)
        {
            if (s_library == 0)
            {
                s_library = NativeLibrary.Load(RepoPaths.NativeLibrary);
            }

            return s_library;
        }
    }

    /// <summary>Calls mcov_region_create then mcov_detach in this process, so only children record.</summary>
    public static void CreateRegion(string name, ulong capacityEdges)
    {
        lock (s_lock)
        {
            Load();
            var create = (delegate* unmanaged<byte*, ulong, int>)NativeLibrary.GetExport(s_library, "mcov_region_create");
            var detach = (delegate* unmanaged<void>)NativeLibrary.GetExport(s_library, "mcov_detach");
            var lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(s_library, "mcov_last_error");
            byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
            int rc;
            fixed (byte* p = utf8)
            {
                rc = create(p, capacityEdges);
            }

            if (rc != 0)
            {
                throw new InvalidOperationException($"mcov_region_create({name}) returned {rc}: {Marshal.PtrToStringUTF8((nint)lastError())}");
            }

            detach();
        }
    }

    /// <summary>Starts tests/mcov_worker FIRST COUNT [b-first] with MEMCOV_REGION=region and the samples built in the given mode.</summary>
    public static Process StartWorker(string region, int first, int count, bool bFirst = false, string samples = "callback")
    {
        var info = new ProcessStartInfo(Path.Combine(RepoPaths.NativeDir, "tests", "mcov_worker"))
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(first.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (bFirst)
        {
            info.ArgumentList.Add("b-first");
        }

        info.Environment["MEMCOV_REGION"] = region;
        info.Environment["MEMCOV_TEST_SAMPLES"] = samples; // callback, inline (no-call mode) or mixed
        return Process.Start(info) ?? throw new InvalidOperationException("mcov_worker did not start");
    }

    /// <summary>Waits for a worker and asserts that it exited with 0.</summary>
    public static void WaitOk(Process worker)
    {
        using (worker)
        {
            string stderr = worker.StandardError.ReadToEnd();
            Assert.True(worker.WaitForExit(60_000), "mcov_worker did not exit within 60 s");
            Assert.True(worker.ExitCode == 0, $"mcov_worker exited with {worker.ExitCode}: {stderr}");
        }
    }
}
