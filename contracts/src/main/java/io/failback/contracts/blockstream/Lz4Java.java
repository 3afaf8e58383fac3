package io.failback.contracts.blockstream;

import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;

/**
 * lz4-java's LZ4 and XXH64 implementations, through JNI wherever the library's native code loads: for compressing and
 * hashing what a site reads from its own disks. Decompressing what arrives from the network stays with the library's
 * bounds-checked Java decompressor ({@link BlockStreamDecoder}).
 * <p>
 * lz4-java's own {@code fastestInstance()} uses its native code only when the library was loaded by the system class
 * loader, and a Quarkus application's classes are loaded by Quarkus's: in the services it fell back to the pure-Java
 * implementations, several times slower (a profile of host-agent found {@code LZ4JavaSafeCompressor} probing every
 * block it sent). Asked for explicitly, the native code loads. A JVM loads a native library into one class loader only,
 * so where another loader holds it already (a test that restarts an application) the Java implementation serves.
 */
public final class Lz4Java {
    private static final LZ4Factory LZ4 = lz4Factory();
    private static final XXHashFactory XXHASH = xxHashFactory();

    private Lz4Java() {
    }

    public static LZ4Factory lz4() {
        return LZ4;
    }

    public static XXHashFactory xxHash() {
        return XXHASH;
    }

    private static LZ4Factory lz4Factory() {
        try {
            return LZ4Factory.nativeInstance();
        } catch (LinkageError | AssertionError nativeCodeDidNotLoad) {
            return LZ4Factory.fastestJavaInstance();
        }
    }

    private static XXHashFactory xxHashFactory() {
        try {
            return XXHashFactory.nativeInstance();
        } catch (LinkageError | AssertionError nativeCodeDidNotLoad) {
            return XXHashFactory.fastestJavaInstance();
        }
    }
}
