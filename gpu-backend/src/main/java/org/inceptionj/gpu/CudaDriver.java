package org.inceptionj.gpu;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import org.inceptionj.api.BackendUnavailableException;

/**
 * The facade over JCuda's driver API ({@code jcuda.driver}), the counterpart of {@link Cudnn}: the
 * calls the backend needs, each checked, a failure thrown as {@link GpuException} with
 * {@code cuGetErrorName}/{@code cuGetErrorString}'s text and the arguments. Driver API only (no
 * runtime API, no NVRTC), so cuDNN's runtime is the only CUDA runtime in the process; kernels come
 * as PTX ({@link PtxModules}).
 *
 * <p>Threading: one primary context, made current on the calling thread by {@link #open}; the
 * backend is meant to call CUDA from one thread.
 *
 * <p><b>Never run</b>: this machine has no driver; only the class's loading failure (no
 * libcuda.so.1) has been seen. Everything here is for the first run on a GPU.
 */
final class CudaDriver {
    private CudaDriver() {
    }

    private static volatile boolean bound;

    /** Runs JCudaDriver's class initializer (its native library is loaded by {@link CudaLibraries}). */
    static void initializeBinding() {
        JCudaDriver.setExceptionsEnabled(false);   // statuses are checked here
        bound = true;
    }

    /**
     * Makes sure JCudaDriver was initialized by {@link CudaLibraries#loadDriver()}, not by JCuda's own
     * loader (which copies to the shared java.io.tmpdir and leaves the class broken for the JVM when
     * the driver is missing). Every method that calls JCudaDriver calls this first.
     */
    private static void ready() {
        if (!bound) {
            CudaLibraries.loadDriver();
        }
    }

    /** The installed driver's CUDA version (e.g. 12040 for 12.4). Needs the driver, not a GPU. */
    static int driverVersion() {
        ready();
        int[] v = new int[1];
        check(JCudaDriver.cuDriverGetVersion(v), () -> "cuDriverGetVersion");
        return v[0];
    }

    /** A device with its primary context current on this thread, and one stream. */
    record Device(int ordinal, String name, int ccMajor, int ccMinor, long totalMemory, CUdevice device,
                  CUcontext context, CUstream stream) {
        @Override
        public String toString() {
            return "GPU " + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ", "
                    + (totalMemory >> 20) + " MiB)";
        }
    }

    /**
     * {@code cuInit}, device {@code ordinal}, its primary context made current, one stream.
     *
     * @throws BackendUnavailableException when there is no CUDA-capable GPU
     */
    static Device open(int ordinal) {
        ready();
        int status = JCudaDriver.cuInit(0);
        if (status == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new BackendUnavailableException("no CUDA-capable GPU: cuInit returned CUDA_ERROR_NO_DEVICE (the"
                    + " NVIDIA driver is installed, but it sees no GPU; check nvidia-smi and CUDA_VISIBLE_DEVICES)");
        }
        check(status, () -> "cuInit");
        int[] count = new int[1];
        check(JCudaDriver.cuDeviceGetCount(count), () -> "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new BackendUnavailableException("GPU " + ordinal + " does not exist: the driver sees " + count[0]);
        }
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, ordinal), () -> "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        check(JCudaDriver.cuDeviceGetName(name, name.length, dev), () -> "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        int[] major = new int[1], minor = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                dev), () -> "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        check(JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                dev), () -> "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
        long[] total = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(total, dev), () -> "cuDeviceTotalMem");
        CUcontext ctx = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev), () -> "cuDevicePrimaryCtxRetain(" + ordinal + ")");
        check(JCudaDriver.cuCtxSetCurrent(ctx), () -> "cuCtxSetCurrent");
        CUstream stream = new CUstream();
        check(JCudaDriver.cuStreamCreate(stream, 0), () -> "cuStreamCreate");
        return new Device(ordinal, new String(name, 0, len, StandardCharsets.US_ASCII), major[0], minor[0], total[0],
                dev, ctx, stream);
    }

    /** The number of streaming multiprocessors of the device. */
    static int multiprocessors(Device d) {
        ready();
        int[] v = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                d.device()), () -> "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
        return v[0];
    }

    /** Destroys the stream and releases the primary context. */
    static void close(Device d) {
        ready();
        check(JCudaDriver.cuStreamDestroy(d.stream()), () -> "cuStreamDestroy");
        check(JCudaDriver.cuDevicePrimaryCtxRelease(d.device()), () -> "cuDevicePrimaryCtxRelease");
    }

    /** Makes {@code context} current on the calling thread ({@code cuCtxSetCurrent}). */
    static void makeCurrent(CUcontext context) {
        ready();
        check(JCudaDriver.cuCtxSetCurrent(context), () -> "cuCtxSetCurrent");
    }

    /** Waits for everything queued on the stream. */
    static void synchronize(CUstream stream) {
        ready();
        check(JCudaDriver.cuStreamSynchronize(stream), () -> "cuStreamSynchronize");
    }

    // ------------------------------------------------------------------ memory

    /** Device address as a long, and back: JCuda keeps it in a protected field. */
    static final class DevicePtr extends CUdeviceptr {
        DevicePtr() {
        }

        private DevicePtr(long address) {
            super(new CUdeviceptr(), address);   // native 0 + byte offset = the address
        }

        static DevicePtr of(long address) {
            return new DevicePtr(address);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** {@code cuMemAlloc}: the address, or 0 when the device is out of memory (any other failure throws). */
    static long memAlloc(long bytes) {
        ready();
        DevicePtr p = new DevicePtr();
        int status = JCudaDriver.cuMemAlloc(p, bytes);
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            return 0;
        }
        check(status, () -> "cuMemAlloc(" + bytes + " bytes)");
        return p.address();
    }

    static void memFree(long address) {
        ready();
        check(JCudaDriver.cuMemFree(DevicePtr.of(address)), () -> "cuMemFree(0x" + Long.toHexString(address) + ")");
    }

    /** Free and total device memory, {@code cuMemGetInfo}. */
    static long[] memInfo() {
        ready();
        long[] free = new long[1], total = new long[1];
        check(JCudaDriver.cuMemGetInfo(free, total), () -> "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    static void copyToDevice(long dst, float[] src, int offset, int count, CUstream stream) {
        ready();
        check(JCudaDriver.cuMemcpyHtoDAsync(DevicePtr.of(dst), Pointer.to(src).withByteOffset(4L * offset), 4L * count,
                stream), () -> "cuMemcpyHtoDAsync(" + count + " floats)");
        synchronize(stream);   // the Java array must not move or be reused before the copy is done
    }

    static void copyToHost(float[] dst, int offset, long src, int count, CUstream stream) {
        ready();
        check(JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(dst).withByteOffset(4L * offset), DevicePtr.of(src), 4L * count,
                stream), () -> "cuMemcpyDtoHAsync(" + count + " floats)");
        synchronize(stream);
    }

    /** {@code bytes} from host memory {@code src} (pinned by JCuda for the call) to the device; waits for the copy. */
    static void copyToDevice(long dst, Pointer src, long bytes, CUstream stream, String what) {
        ready();
        check(JCudaDriver.cuMemcpyHtoDAsync(DevicePtr.of(dst), src, bytes, stream),
                () -> "cuMemcpyHtoDAsync(" + what + ", " + bytes + " bytes)");
        synchronize(stream);   // the Java array must not move or be reused before the copy is done
    }

    /** Device to device on the stream (asynchronous). */
    static void copyDeviceToDevice(long dst, long src, long bytes, CUstream stream) {
        ready();
        check(JCudaDriver.cuMemcpyDtoDAsync(DevicePtr.of(dst), DevicePtr.of(src), bytes, stream),
                () -> "cuMemcpyDtoDAsync(" + bytes + " bytes)");
    }

    static void memsetD32(long dst, int value, long count, CUstream stream) {
        ready();
        check(JCudaDriver.cuMemsetD32Async(DevicePtr.of(dst), value, count, stream),
                () -> "cuMemsetD32Async(" + count + " words)");
    }

    // ------------------------------------------------------------------ modules and kernels

    /** {@code cuModuleLoadData} of NUL-terminated PTX; the message names the module when the driver rejects it. */
    static CUmodule loadModule(String name, byte[] ptxWithNul) {
        ready();
        if (ptxWithNul.length == 0 || ptxWithNul[ptxWithNul.length - 1] != 0) {
            throw new IllegalArgumentException("PTX of " + name + " must end with a NUL byte");
        }
        CUmodule m = new CUmodule();
        check(JCudaDriver.cuModuleLoadData(m, ptxWithNul), () -> "cuModuleLoadData(" + name
                + ".ptx; an UNSUPPORTED_PTX_VERSION here means the driver is older than the PTX ISA the file declares)");
        return m;
    }

    static CUfunction function(CUmodule module, String moduleName, String kernel) {
        ready();
        CUfunction f = new CUfunction();
        check(JCudaDriver.cuModuleGetFunction(f, module, kernel), () -> "cuModuleGetFunction(" + moduleName + ", " + kernel + ")");
        return f;
    }

    /** {@code cuLaunchKernel} with a 1-D grid on {@code stream}; {@code params} from {@code Pointer.to(Pointer.to(...), ...)}. */
    static void launch(CUfunction f, String kernel, int blocks, int threads, int sharedBytes, CUstream stream,
                       Pointer params) {
        ready();
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, sharedBytes, stream, params, null),
                () -> "cuLaunchKernel(" + kernel + ", grid " + blocks + ", block " + threads + ")");
    }

    /** {@code cuLaunchKernel} with a 3-D grid and block on {@code stream}. */
    static void launch(CUfunction f, String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, CUstream stream, Pointer params) {
        ready();
        check(JCudaDriver.cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream, params,
                null), () -> "cuLaunchKernel(" + kernel + ", grid (" + gridX + "," + gridY + "," + gridZ + "), block ("
                + blockX + "," + blockY + "," + blockZ + "))");
    }

    // ------------------------------------------------------------------ errors

    static void check(int status, Supplier<String> call) {
        if (status != CUresult.CUDA_SUCCESS) {
            String[] name = new String[1], text = new String[1];
            String described;
            if (JCudaDriver.cuGetErrorName(status, name) == 0 && JCudaDriver.cuGetErrorString(status, text) == 0) {
                described = name[0] + ": " + text[0];
            } else {
                described = "CUresult " + status;
            }
            if (status == CUresult.CUDA_ERROR_ILLEGAL_ADDRESS || status == CUresult.CUDA_ERROR_LAUNCH_FAILED
                    || status == CUresult.CUDA_ERROR_MISALIGNED_ADDRESS || status == CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION) {
                described += " (reported here, caused by an earlier kernel on the stream; the context is unusable"
                        + " from now on: rerun with -Dinceptionj.cuda.sync=true to name the kernel)";
            }
            throw new GpuException(GpuException.Library.CUDA_DRIVER, status, described, call.get());
        }
    }
}
