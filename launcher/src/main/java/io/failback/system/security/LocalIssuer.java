package io.failback.system.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * The token issuer of a local installation: an RSA key pair in {@code .failback/jwt/} whose public key job-service
 * checks tokens against, and whose private key signs RS256 tokens for {@code ./failback token} and for the launcher's
 * own clients (the demo, the benchmark, the end-to-end tests). It stands in for the OIDC issuer (Entra ID, Keycloak)
 * a real installation points job-service at, and signs the same claims such an issuer would: issuer, audience,
 * subject, expiry and the Site Recovery role in {@code roles}.
 *
 * <p>The pair is made on first use and kept, so tokens printed earlier stay valid across restarts. The private key
 * file is mode 600 and its content is never logged; tokens are bearer secrets too and only ever go to standard output
 * when a user asks for one.
 */
public final class LocalIssuer {

    /** What job-service expects by default ({@code FAILBACK_JWT_ISSUER}); set explicitly all the same. */
    public static final String ISSUER = "failback-local-issuer";
    /** What job-service expects by default ({@code FAILBACK_JWT_AUDIENCE}). */
    public static final String AUDIENCE = "failback";
    public static final String PRIVATE_KEY_FILE = "private-key.pem";
    public static final String PUBLIC_KEY_FILE = "public-key.pem";
    /** A token is accepted this long before its issue time, for clocks of two processes a little apart. */
    private static final long CLOCK_SKEW_SECONDS = 60;

    private final Path publicKeyFile;
    private final PrivateKey signingKey;

    private LocalIssuer(Path publicKeyFile, PrivateKey signingKey) {
        this.publicKeyFile = publicKeyFile;
        this.signingKey = signingKey;
    }

    /** The issuer whose keys are in {@code dir}, creating them (RSA 2048) if there are none yet. */
    public static LocalIssuer openOrCreate(Path dir) {
        Path privateKeyFile = dir.resolve(PRIVATE_KEY_FILE);
        Path publicKeyFile = dir.resolve(PUBLIC_KEY_FILE);
        try {
            if (Files.isRegularFile(privateKeyFile)) {
                PrivateKey key = PemFiles.readPrivateKey(privateKeyFile);
                if (!Files.isRegularFile(publicKeyFile)) {
                    PemFiles.writePublic(publicKeyFile, publicKeyOf(key));
                }
                return new LocalIssuer(publicKeyFile, key);
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            // The public key last: a half-made pair (a crash in between) has no public key and is completed above.
            PemFiles.writePrivateKey(privateKeyFile, pair.getPrivate());
            PemFiles.writePublic(publicKeyFile, pair.getPublic());
            return new LocalIssuer(publicKeyFile, pair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the local token issuer's keys in " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot make an RSA key pair for the local token issuer", e);
        }
    }

    private static PublicKey publicKeyOf(PrivateKey key) throws GeneralSecurityException {
        if (!(key instanceof RSAPrivateCrtKey rsa)) {
            throw new GeneralSecurityException("The local issuer's private key is not an RSA key with its public part");
        }
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
    }

    /** The PEM public key job-service verifies tokens with. */
    public Path publicKeyFile() {
        return publicKeyFile;
    }

    /** What job-service needs to accept this issuer's tokens, as environment variables. */
    public Map<String, String> jobServiceEnvironment() {
        return Map.of(
                "FAILBACK_JWT_PUBLIC_KEY_LOCATION", publicKeyFile.toAbsolutePath().toString(),
                "FAILBACK_JWT_ISSUER", ISSUER,
                "FAILBACK_JWT_AUDIENCE", AUDIENCE);
    }

    /** A signed token (compact JWS) for {@code subject} with {@code role}, valid from now for {@code lifetime}. */
    public String issue(TokenRole role, String subject, Duration lifetime) {
        return issue(List.of(role.claimValue()), subject, lifetime);
    }

    /**
     * A signed token whose {@code roles} claim holds {@code roleClaims} as they are: none, or roles of another application,
     * as an identity provider issues them to someone who has no Site Recovery role (which job-service answers with 403).
     */
    public String issue(List<String> roleClaims, String subject, Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("A token's lifetime must be positive, got " + lifetime);
        }
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setAudience(AUDIENCE);
        claims.setSubject(subject);
        claims.setGeneratedJwtId();
        claims.setIssuedAtToNow();
        NumericDate notBefore = NumericDate.now();
        notBefore.addSeconds(-CLOCK_SKEW_SECONDS);
        claims.setNotBefore(notBefore);
        NumericDate expiry = NumericDate.now();
        expiry.addSeconds(lifetime.toSeconds());
        claims.setExpirationTime(expiry);
        claims.setStringListClaim("roles", roleClaims);

        JsonWebSignature signature = new JsonWebSignature();
        signature.setPayload(claims.toJson());
        signature.setKey(signingKey);
        signature.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        signature.setHeader("typ", "JWT");
        try {
            return signature.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("Cannot sign a token: " + e.getMessage(), e);
        }
    }

    /** Tokens for the launcher's own clients: Contributor, renewed before they expire. */
    public BearerTokens contributorTokens(String subject) {
        return new BearerTokens(this, TokenRole.CONTRIBUTOR, subject);
    }
}
