using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// A region file that libmemcov opened, validated and mapped (<c>mcov_region_file *</c>); releasing
/// it unmaps the file. The mapping's address comes from the open call's facts and is valid while
/// the handle is alive: holders keep it alive with <see cref="SafeHandle.DangerousAddRef"/>.
/// </summary>
internal sealed class RegionFileHandle : SafeHandle
{
    /// <summary>Called by the interop marshaller, which then sets the handle.</summary>
    public RegionFileHandle()
        : base(0, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        Interop.Memcov.RegionFileClose(handle);
        return true;
    }
}
