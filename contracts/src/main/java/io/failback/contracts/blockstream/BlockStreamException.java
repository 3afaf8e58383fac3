package io.failback.contracts.blockstream;

/** A block stream that is malformed, corrupted, or that its sender reported as failed. */
public class BlockStreamException extends RuntimeException {
    public BlockStreamException(String message) {
        super(message);
    }
}
