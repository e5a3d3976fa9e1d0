using Hip.TestSupport;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class GpuMemoryTests
{
    [Fact]
    public void MemoryInfo_FreeIsPositiveAndAtMostTotal()
    {
        var (free, total) = TestGpu.Gpu.MemoryInfo();
        Assert.True(total > 0, $"total {total}");
        Assert.InRange(free, 1, total);
    }

    [Fact]
    public void MemoryInfo_OnCpu_TotalIsTheRuntimesAvailableMemory()
    {
        if (TestGpu.Gpu.IsCuda)
            return;
        Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, TestGpu.Gpu.MemoryInfo().TotalBytes);
    }
}
