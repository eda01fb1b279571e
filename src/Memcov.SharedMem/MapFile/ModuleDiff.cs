namespace Memcov.SharedMem;

/// <summary>How one module's coverage differs between two maps; a module missing from one map counts as uncovered there.</summary>
/// <param name="Identity">The module.</param>
/// <param name="Path">The module's path.</param>
/// <param name="OnlyInFirst">Edge indexes (within the module) covered in the first map and not in the second.</param>
/// <param name="OnlyInSecond">Edge indexes covered in the second map and not in the first.</param>
public sealed record ModuleDiff(ModuleIdentity Identity, string Path, IReadOnlyList<long> OnlyInFirst, IReadOnlyList<long> OnlyInSecond);
