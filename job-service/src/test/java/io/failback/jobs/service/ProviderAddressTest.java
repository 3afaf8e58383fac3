package io.failback.jobs.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The address a host registered binds its heartbeats: host, port and path, whichever scheme it serves. */
class ProviderAddressTest {

    @Test
    void aHostThatTurnsTlsBetweenServicesOnKeepsItsAddress() {
        assertTrue(ProviderRegistry.sameAddress("http://127.0.0.1:8083", "https://127.0.0.1:8083"));
        assertTrue(ProviderRegistry.sameAddress("https://Hyperv-A.contoso.local:8083/", "https://hyperv-a.contoso.local:8083"));
    }

    @Test
    void anotherHostPortOrPathIsAnotherAddress() {
        assertFalse(ProviderRegistry.sameAddress("https://127.0.0.1:8083", "https://127.0.0.1:8084"));
        assertFalse(ProviderRegistry.sameAddress("https://127.0.0.1:8083", "https://127.0.0.2:8083"));
        assertFalse(ProviderRegistry.sameAddress("https://127.0.0.1:8083", "https://127.0.0.1:8083/elsewhere"));
        assertFalse(ProviderRegistry.sameAddress("http://127.0.0.1", "https://127.0.0.1"), "default ports 80 and 443 differ");
        assertFalse(ProviderRegistry.sameAddress("https://127.0.0.1:8083", "not a url at all"));
        assertFalse(ProviderRegistry.sameAddress("https://127.0.0.1:8083", null));
    }
}
