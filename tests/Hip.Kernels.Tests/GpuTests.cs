using Hip.TestSupport;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class GpuTests
{
    [Theory]
    [InlineData(null, DeviceKind.Auto)]
    [InlineData("", DeviceKind.Auto)]
    [InlineData("auto", DeviceKind.Auto)]
    [InlineData("cuda", DeviceKind.Cuda)]
    [InlineData(" CUDA ", DeviceKind.Cuda)]
    [InlineData("gpu", DeviceKind.Cuda)]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData("Cpu", DeviceKind.Cpu)]
    public void ParseDeviceVariable_KnownValue_GivesKind(string? value, DeviceKind expected)
    {
        Assert.Equal(expected, Gpu.ParseDeviceVariable(value));
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:1")]
    public void ParseDeviceVariable_UnknownValue_ThrowsNamingVariable(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => Gpu.ParseDeviceVariable(value));
        Assert.Contains(Gpu.DeviceVariable, error.Message);
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public void TestGpu_HipDeviceVariable_DecidesAccelerator()
    {
        var kind = Gpu.ParseDeviceVariable(Environment.GetEnvironmentVariable(Gpu.DeviceVariable));
        var gpu = TestGpu.Gpu;

        if (kind == DeviceKind.Cuda)
            Assert.True(gpu.IsCuda, $"{Gpu.DeviceVariable}=cuda but the tests run on {gpu.Description}");
        if (kind == DeviceKind.Cpu)
            Assert.False(gpu.IsCuda);
        Assert.Equal(gpu.IsCuda ? AcceleratorType.Cuda : AcceleratorType.CPU, gpu.Accelerator.AcceleratorType);
        Assert.False(string.IsNullOrWhiteSpace(gpu.Description));
        Assert.Equal(gpu.Description, gpu.ToString());
    }

    [Fact]
    public void TestGpu_CpuAccelerator_HasWarp32AndRoomForTiledMatMul()
    {
        var accelerator = TestGpu.Gpu.Accelerator;
        if (TestGpu.Gpu.IsCuda)
            return;   // only the CPU device's shape is ours to choose

        Assert.Equal(32, accelerator.WarpSize);
        Assert.True(accelerator.MaxNumThreadsPerGroup >= MatMulTiled.Threads * MatMulTiled.Threads,
            $"MatMulTiled needs {MatMulTiled.Threads * MatMulTiled.Threads} threads a group; the CPU device allows {accelerator.MaxNumThreadsPerGroup}");
    }

    [Fact]
    public void Create_CudaWithoutDevice_ThrowsNamingVariable()
    {
        // Only meaningful where the shared accelerator fell back to the CPU on its own, i.e. no CUDA device exists.
        var kind = Gpu.ParseDeviceVariable(Environment.GetEnvironmentVariable(Gpu.DeviceVariable));
        if (kind != DeviceKind.Auto || TestGpu.Gpu.IsCuda)
            return;

        var error = Assert.Throws<InvalidOperationException>(() => Gpu.Create(DeviceKind.Cuda));
        Assert.Contains(Gpu.DeviceVariable, error.Message);
    }
}
