package io.failback.system;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The operating system's Chromium (Debian's packages {@code chromium} and {@code chromium-driver}), headless, driven
 * through its own chromedriver. Both paths are given, so Selenium Manager never looks for (or downloads) a browser or
 * a driver; a missing one fails the test saying which package to install.
 */
final class HeadlessChromium {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {
    }

    /**
     * A fresh browser (its profile in {@code profileDir}) that accepts job-service's certificate and no other untrusted
     * one: the system's job-service serves a certificate of a CA made for this test run, which no browser trusts.
     * Rather than {@code --ignore-certificate-errors} or {@code acceptInsecureCerts} (any certificate at all), the
     * browser is told the SHA-256 of that certificate's public key ({@code --ignore-certificate-errors-spki-list},
     * which Chromium honours with a {@code --user-data-dir}): a certificate error is ignored for that key only.
     */
    static ChromeDriver start(Path profileDir, Path serverCertificate, Path driverLog) throws Exception {
        for (Path executable : new Path[] {BROWSER, DRIVER}) {
            if (!Files.isExecutable(executable)) {
                throw new IllegalStateException(executable + " is missing: install Chromium and its driver "
                        + "(apt-get install chromium chromium-driver); .ci/run does");
            }
        }
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, DRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(driverLog.toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1400",
                "--user-data-dir=" + Files.createDirectories(profileDir).toAbsolutePath(),
                "--ignore-certificate-errors-spki-list=" + publicKeyPin(serverCertificate));
        // The browser's console (script errors, Content-Security-Policy violations, failed requests), for the test to read.
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        return new ChromeDriver(service, options);
    }

    /** Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (its first one, in a PEM chain). */
    static String publicKeyPin(Path pemCertificate) throws Exception {
        try (InputStream in = Files.newInputStream(pemCertificate)) {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .iterator().next();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        }
    }

    /** Where screenshots go: {@code -Dconsole.screenshots=docs/console} (relative to the checkout); null: none taken. */
    static Path screenshotDir() throws IOException {
        String dir = System.getProperty("console.screenshots");
        if (dir == null || dir.isBlank()) {
            return null;
        }
        Path path = Path.of(dir);
        if (!path.isAbsolute()) {
            path = ProjectLayout.find().root().resolve(path);
        }
        return Files.createDirectories(path);
    }
}
