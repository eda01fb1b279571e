using System.Runtime.Versioning;

// Regions are files in /dev/shm shared through mmap: these tests run on Linux.
[assembly: SupportedOSPlatform("linux")]
