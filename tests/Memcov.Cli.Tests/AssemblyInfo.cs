using System.Runtime.Versioning;

// Memcov runs on Linux: regions are tmpfs files shared with mmap, reached through libmemcov.
[assembly: SupportedOSPlatform("linux")]
