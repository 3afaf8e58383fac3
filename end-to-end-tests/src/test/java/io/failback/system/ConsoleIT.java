package io.failback.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.failback.system.security.TokenRole;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium against the real system: an Operator signs in with a token of the local
 * issuer, sees the VM running in Azure, reads the failback estimate, starts a ForDownTime failback, watches its
 * progress stream in, presses Complete Failover and confirms, and sees the job succeed; a Contributor enables
 * replication of an on-premises VM and registers a VM running in Azure through the form, and disables replication,
 * neither of which an Operator is offered; a Reader sees the same items without a single action, and a token without a
 * Site Recovery role is told that its role is why the API refused. What the page shows is checked against the API.
 * <p>
 * {@code -Dconsole.screenshots=docs/console} also saves the main pages there (docs/console/*.png).
 */
class ConsoleIT {
    private static final long DISK_BYTES = 256L << 20;
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(180);

    // Progress every 200 ms instead of every second, so that a copy of a few seconds shows on the page as it moves.
    @RegisterExtension
    static final RunningSystem running = new RunningSystem("console",
            builder -> builder.environment(LocalSystem.SYNC_SERVICE, "FAILBACK_PROGRESS_INTERVAL", "200ms"));
    // Set by running before any @BeforeAll.
    private static LocalSystem system;
    private static FailbackApi api;

    private ChromeDriver browser;
    private Path screenshots;

    @BeforeEach
    void startBrowser(TestInfo test) throws Exception {
        Path dir = system.workDir().resolve("chromium-" + test.getTestMethod().orElseThrow().getName());
        browser = HeadlessChromium.start(dir.resolve("profile"), system.jobServiceTls().certificate(), dir.resolve("chromedriver.log"));
        screenshots = HeadlessChromium.screenshotDir();
    }

    @AfterEach
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void anOperatorFailsBackWithDeltaSyncAndCompletesTheFailoverFromTheConsole() throws Exception {
        HostAgent host = system.hosts().get(0);
        api.send("POST", system.azureSimUrl().resolve("/api/vms"), """
                {"name": "vm-console", "disks": [{"diskId": "disk-0", "sizeBytes": %d}], "contentSeed": 15, "zeroPercent": 10,
                 "workload": {"pattern": "HotSpot", "writesPerSecond": 200, "writeSizeBytes": 4096, "seed": 15}}"""
                .formatted(DISK_BYTES), 201);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-console", host.id(), host.virtualSwitches().get(0));

        signIn(system.issuer().issue(TokenRole.OPERATOR, "operator@console-test", Duration.ofHours(1)));
        assertEquals("operator@console-test — SiteRecovery.Operator", text(By.id("caller-name")));

        // The items page: the VM runs in Azure and may fail back, as the API says.
        WebElement row = await(By.cssSelector("tr[data-item='vm-console']"));
        JsonNode item = api.item("vm-console").path("properties");
        assertEquals("Recovery", item.path("activeLocation").asText());
        assertTrue(row.getText().contains("Recovery (Azure)"), row.getText());
        assertTrue(row.getText().contains(item.path("protectionState").asText()), row.getText());
        assertTrue(row.getText().contains("PlannedFailover"), row.getText());
        screenshot("items");

        // The item: the failback form with the estimate of both options, before anything starts.
        row.findElement(By.linkText("vm-console")).click();
        await(By.id("failback-form"));
        WebElement deltaEstimate = await(By.cssSelector("#estimate tr[data-option='ForDownTime']"));
        WebElement fullEstimate = await(By.cssSelector("#estimate tr[data-option='ForSynchronization']"));
        assertTrue(deltaEstimate.getText().contains("±") && fullEstimate.getText().contains("±"), deltaEstimate.getText());
        JsonNode estimate = api.get(system.jobServiceUrl().resolve("/api/replicationProtectedItems/vm-console/failbackEstimate"));
        assertEquals(optionsOf(estimate), browser.findElements(By.cssSelector("#estimate tr[data-option]")).stream()
                .map(option -> option.getAttribute("data-option")).toList(), "the page shows the API's estimate");
        assertFalse(browser.findElements(By.cssSelector("#view button.action")).stream()
                .anyMatch(button -> button.getText().equals("Commit")), "no Commit before the failback");
        screenshot("failback-estimate");

        browser.findElement(By.id("sync-ForDownTime")).click();
        assertTrue(browser.findElement(By.id("create-vm")).isSelected());
        browser.findElement(By.id("start-failback")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.urlContains("#/jobs/"));
        String jobName = URI.create(browser.getCurrentUrl()).getFragment().substring("/jobs/".length());

        // The page started it with the operator's own token, as the API's record of the job says.
        JsonNode started = api.job(jobName).path("properties");
        assertEquals("PlannedFailover", started.path("scenarioName").asText());
        assertEquals("ForDownTime", started.path("customDetails").path("dataSyncOption").asText());
        assertEquals("RecoveryToPrimary", started.path("customDetails").path("failoverDirection").asText());
        assertEquals("operator@console-test", started.path("startedBy").asText());

        // Phase 1's copy, as the page shows it while the stream brings progress in.
        TreeSet<Integer> percentsSeen = new TreeSet<>();
        List<String> ratesSeen = new ArrayList<>();
        boolean[] progressShot = {false};
        awaitPage(PHASE_TIMEOUT, () -> {
            // The state first: the bars read after it are at least as new, so the round that sees the phase end also
            // sees its last progress even when the stream updates the page between the two reads.
            boolean phaseEnded = List.of("Suspended", "Failed").contains(text(By.id("job-state")));
            for (WebElement bar : browser.findElements(By.cssSelector("tr[data-task='SnapshotSynchronization'] progress"))) {
                int percent = Integer.parseInt(bar.getAttribute("value"));
                percentsSeen.add(percent);
                String rowText = browser.findElement(By.cssSelector("tr[data-task='SnapshotSynchronization']")).getText();
                if (rowText.contains("/s")) {
                    ratesSeen.add(rowText);
                }
                if (percent > 0 && percent < 100 && !progressShot[0]) {
                    progressShot[0] = true;
                    screenshot("job-progress");
                }
            }
            return phaseEnded;
        });
        assertEquals("Suspended", text(By.id("job-state")), api.job(jobName).toPrettyString());
        assertTrue(percentsSeen.stream().anyMatch(percent -> percent > 0 && percent < 100),
                "the page showed the copy part-way, live: " + percentsSeen);
        assertEquals(100, percentsSeen.last(), "and then done: " + percentsSeen);
        assertFalse(ratesSeen.isEmpty(), "the page showed the copy's rate while it ran");
        JsonNode suspended = api.job(jobName).path("properties");
        assertEquals("Suspended", suspended.path("state").asText());
        assertEquals("[\"Cancel\",\"Resume\"]", suspended.path("allowedActions").toString());
        assertEquals("Running", api.get(system.azureSimUrl().resolve("/api/vms/vm-console")).path("state").asText(),
                "between the phases the VM still runs in Azure");
        WebElement completionEstimate = await(By.id("completion-estimate"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(page -> completionEstimate.getText().startsWith("Complete Failover now: sends"));
        assertTrue(completionEstimate.getText().contains("the VM is down for about"), completionEstimate.getText());
        // While it waits, catch-up rounds keep the copy close to the running VM; the page says how close, round by round.
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(page -> text(By.id("catch-up")).startsWith("Kept caught up"));
        String catchUp = text(By.id("catch-up"));
        assertTrue(catchUp.contains("behind") && catchUp.contains("Complete Failover now would take the VM down for about"), catchUp);
        assertTrue(api.job(jobName).path("properties").path("customDetails").path("catchUp").path("rounds").asInt() >= 1,
                api.job(jobName).toPrettyString());
        WebElement completeFailover = button("Complete Failover");
        button("Cancel job");
        screenshot("job-suspended");

        // The confirmation guards it: Cancel in the dialog leaves the job waiting.
        completeFailover.click();
        WebElement dialog = await(By.id("confirm"));
        assertTrue(dialog.getText().contains("This shuts down the Azure machine, transfers the latest changes to the on-premises "
                + "virtual machine, and starts the VM on-premises."), dialog.getText());
        browser.findElement(By.id("confirm-cancel")).click();
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(ExpectedConditions.invisibilityOf(dialog));
        Thread.sleep(1000);
        assertEquals("Suspended", api.job(jobName).path("properties").path("state").asText(), "a dismissed dialog does nothing");

        // This time by keyboard alone: Enter on the button, the dialog opens on its safe choice, Tab, Enter.
        completeFailover.sendKeys(Keys.ENTER);
        await(By.id("confirm"));
        assertEquals("confirm-cancel", browser.switchTo().activeElement().getAttribute("id"), "the dialog opens on Cancel");
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        assertEquals("confirm-ok", browser.switchTo().activeElement().getAttribute("id"));
        browser.switchTo().activeElement().sendKeys(Keys.ENTER);
        awaitPage(PHASE_TIMEOUT, () -> List.of("Succeeded", "Failed", "Cancelled").contains(text(By.id("job-state"))));
        assertEquals("Succeeded", text(By.id("job-state")), api.job(jobName).toPrettyString());
        JsonNode done = api.job(jobName).path("properties");
        assertEquals("Succeeded", done.path("state").asText());
        SystemTests.assertProven(done);
        assertEquals("Succeeded", text(By.cssSelector("tr[data-task='FinalDeltaSynchronization'] .state")));
        assertTrue(browser.findElement(By.tagName("main")).getText().contains("disk-0: the same"), "the page shows the disk proven");
        assertTrue(browser.findElements(By.cssSelector("#job-actions button")).isEmpty(), "a finished job offers nothing");
        screenshot("job-succeeded");

        // The VM runs on-premises, commit pending; Commit asks first, in the portal's words.
        browser.get(consoleUrl() + "#/items/vm-console");
        WebElement commit = button("Commit");
        assertEquals("PlannedFailoverCommitRequired", api.item("vm-console").path("properties").path("protectionState").asText());
        String itemPage = browser.findElement(By.tagName("main")).getText();
        assertTrue(itemPage.contains("PlannedFailoverCommitRequired") && itemPage.contains("Primary (on-premises)"), itemPage);
        commit.click();
        assertTrue(await(By.id("confirm")).getText().contains("Commit deletes the Azure virtual machine and its disks"));
        screenshot("commit-confirmation");
        browser.findElement(By.id("confirm-cancel")).click();
        Thread.sleep(1000);
        assertTrue(api.exists(system.azureSimUrl().resolve("/api/vms/vm-console")), "a dismissed Commit deletes nothing");
        assertEquals("PlannedFailoverCommitRequired", api.item("vm-console").path("properties").path("protectionState").asText());
        assertNoErrorsInTheBrowser();
    }

    @Test
    void aReaderSeesItemsAndJobsWithoutAnyActionAndABadTokenIsToldWhy() throws Exception {
        HostAgent host = system.hosts().get(0);
        api.createAzureVm("vm-readable", 8L << 20, 16);
        api.awaitProviderConnected(host.id(), Duration.ofSeconds(60));
        api.registerItemInAzure("vm-readable", host.id(), host.virtualSwitches().get(0));
        assertTrue(api.item("vm-readable").path("properties").path("allowedOperations").toString().contains("PlannedFailover"),
                "the item allows a failback; the Reader's role does not");
        new RecoveryPlanApi(api, system.jobServiceUrl()).createBootOrderPlan("plan-readable", List.of(List.of("vm-readable")));

        signIn(system.issuer().issue(TokenRole.READER, "reader@console-test", Duration.ofHours(1)));
        assertEquals("reader@console-test — SiteRecovery.Reader", text(By.id("caller-name")));
        await(By.cssSelector("tr[data-item='vm-readable']")).findElement(By.linkText("vm-readable")).click();
        await(By.xpath("//h1[text()='vm-readable']"));
        assertTrue(browser.findElement(By.tagName("main")).getText().contains("may read only"));
        assertTrue(browser.findElements(By.id("failback-form")).isEmpty(), "no failback form for a Reader");
        assertTrue(browser.findElements(By.cssSelector("#view button.action")).isEmpty(), "no action for a Reader");

        browser.findElement(By.linkText("Jobs")).click();
        await(By.xpath("//h1[text()='Jobs']"));
        browser.findElement(By.linkText("Recovery plans")).click();
        await(By.cssSelector("section[data-plan='plan-readable']")).findElement(By.linkText("plan-readable")).click();
        await(By.xpath("//h1[text()='plan-readable']"));
        String planPage = browser.findElement(By.tagName("main")).getText();
        assertTrue(planPage.contains("Boot: vm-readable") && planPage.contains("may read only"), planPage);
        assertTrue(browser.findElements(By.id("failback-form")).isEmpty(), "no failback form for a Reader");
        assertTrue(browser.findElements(By.cssSelector("#view button")).isEmpty(), "no action for a Reader");

        assertNoErrorsInTheBrowser();

        // A token whose signature is not the issuer's: the API's 401 problem, shown as it came.
        browser.findElement(By.id("sign-out")).click();
        String valid = system.issuer().issue(TokenRole.OPERATOR, "forger@console-test", Duration.ofHours(1));
        String forged = valid.substring(0, valid.length() - 4) + (valid.endsWith("AAAA") ? "BBBB" : "AAAA");
        signIn(forged);
        WebElement problem = await(By.cssSelector("#problem p"));
        assertTrue(problem.getText().startsWith("401 Unauthorized (AuthenticationFailed)"), problem.getText());
        assertTrue(browser.findElements(By.cssSelector("tr[data-item]")).isEmpty(), "nothing shown without a valid token");
        button("Sign in again").click();
        await(By.id("token"));

        // A token of the same issuer that grants no Site Recovery role (another application's role only): the API refuses
        // even to read, 403, and the page says the role is why, with the API's own words, not "Sign in again".
        String roleless = system.issuer().issue(List.of("Backup.Reader"), "nobody@console-test", Duration.ofHours(1));
        HttpResponse<String> refusedByTheApi = api.exchange("GET", system.jobServiceUrl().resolve("/api/replicationProtectedItems"),
                null, roleless);
        assertEquals(403, refusedByTheApi.statusCode(), refusedByTheApi.body());
        JsonNode refusal = FailbackApi.json(refusedByTheApi.body());
        signIn(roleless);
        WebElement forbidden = await(By.cssSelector("#problem p"));
        assertEquals("403 Forbidden: your role (no Site Recovery role) may not do this.", forbidden.getText());
        assertTrue(text(By.id("problem")).contains(refusal.path("type").asText() + ": " + refusal.path("detail").asText()),
                text(By.id("problem")));
        assertTrue(browser.findElements(By.xpath("//main//button[normalize-space()='Sign in again']")).isEmpty(),
                "another sign-in with the same token would be refused the same");
        assertTrue(browser.findElements(By.cssSelector("tr[data-item]")).isEmpty(), "nothing shown that the API refused");
        browser.findElement(By.id("sign-out")).click();

        // An Operator gets the plan's failback form with the plan's estimate, group by group.
        signIn(system.issuer().issue(TokenRole.OPERATOR, "operator@console-test", Duration.ofHours(1)));
        browser.get(consoleUrl() + "#/plans/plan-readable");
        await(By.id("failback-form"));
        await(By.cssSelector("#estimate tr[data-option='ForSynchronization']"));
        String group = await(By.cssSelector("#estimate tr[data-group='1']")).getText();
        assertTrue(group.contains("Group 1") && group.contains("vm-readable"), group);
        assertTrue(text(By.id("estimate")).contains("1 group in order, 1 VM on 1 host"), text(By.id("estimate")));
    }

    @Test
    void aContributorEnablesReplicationRegistersAVmRunningInAzureAndDisablesItWhichAnOperatorIsNotOffered() throws Exception {
        HostAgent host = system.hosts().get(0);
        SystemTests.startOnPremisesVm(system, api, host, "vm-onprem", 8L << 20, 22, "HotSpot", 50);
        api.createAzureVm("vm-registered", 8L << 20, 21);
        URI item = system.jobServiceUrl().resolve("/api/replicationProtectedItems/vm-registered");

        signIn(system.issuer().issue(TokenRole.CONTRIBUTOR, "contributor@console-test", Duration.ofHours(1)));
        assertEquals("contributor@console-test — SiteRecovery.Contributor", text(By.id("caller-name")));

        // An on-premises VM, with the form's defaults (a connected host, its first switch): the initial replication's
        // job opens, and the item is protected when it ends, as the API says.
        await(By.id("enable-replication")).click();
        await(By.id("item-name")).sendKeys("vm-onprem");
        assertTrue(browser.findElement(By.id("location-Primary")).isSelected());
        WebElement enable = browser.findElement(By.id("protect"));
        assertEquals("Enable replication", enable.getText());
        enable.click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.urlContains("#/jobs/"));
        String enableJob = URI.create(browser.getCurrentUrl()).getFragment().substring("/jobs/".length());
        JsonNode enabling = api.job(enableJob).path("properties");
        assertEquals("EnableProtection", enabling.path("scenarioName").asText());
        assertEquals("vm-onprem", enabling.path("targetObjectName").asText());
        assertEquals("contributor@console-test", enabling.path("startedBy").asText());
        awaitPage(PHASE_TIMEOUT, () -> List.of("Succeeded", "Failed", "Cancelled").contains(text(By.id("job-state"))));
        assertEquals("Succeeded", text(By.id("job-state")), api.job(enableJob).toPrettyString());
        JsonNode protectedOnPremises = api.item("vm-onprem").path("properties");
        assertEquals("Protected", protectedOnPremises.path("protectionState").asText(), protectedOnPremises.toString());
        assertEquals(host.id(), protectedOnPremises.path("primaryProviderId").asText());
        assertEquals(host.virtualSwitches().get(0), protectedOnPremises.path("primaryVirtualSwitchName").asText());

        // A VM running in Azure: the host and switch chosen this time.
        browser.findElement(By.linkText("Protected items")).click();
        await(By.id("enable-replication")).click();
        await(By.id("protect-form"));

        // The hosts to choose from are the ones the API lists, and a host's switches the ones its heartbeat reported.
        List<String> providers = new ArrayList<>();
        api.get(system.jobServiceUrl().resolve("/api/replicationRecoveryServicesProviders")).path("value")
                .forEach(provider -> providers.add(provider.path("name").asText()));
        Select hosts = new Select(browser.findElement(By.id("provider")));
        assertEquals(providers, hosts.getOptions().stream().map(option -> option.getAttribute("value")).toList());
        hosts.selectByValue(host.id());
        Select switches = new Select(browser.findElement(By.id("virtual-switch")));
        assertEquals(host.virtualSwitches(), switches.getOptions().stream().map(WebElement::getText).toList());
        switches.selectByValue(host.virtualSwitches().get(0));

        browser.findElement(By.id("item-name")).sendKeys("vm-registered");
        browser.findElement(By.id("location-Recovery")).click();
        WebElement register = browser.findElement(By.id("protect"));
        assertEquals("Register the Azure VM", register.getText());
        // A VM in Azure must name its Azure VM: the browser holds the form back, nothing reaches the API.
        register.click();
        assertEquals(Boolean.TRUE, browser.executeScript("return document.getElementById('azure-vm-name').validity.valueMissing"));
        assertEquals("", text(By.id("problem")));
        assertFalse(api.exists(item));
        browser.findElement(By.id("azure-vm-name")).sendKeys("vm-registered");
        screenshot("enable-replication");
        register.click();

        // The item's page, as the API recorded it: running in Azure, on the chosen host and switch, no job.
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.urlContains("#/items/vm-registered"));
        await(By.xpath("//h1[text()='vm-registered']"));
        JsonNode registered = api.get(item).path("properties");
        assertEquals("Recovery", registered.path("activeLocation").asText());
        assertEquals(host.id(), registered.path("primaryProviderId").asText());
        assertEquals(host.virtualSwitches().get(0), registered.path("primaryVirtualSwitchName").asText());
        assertEquals("vm-registered", registered.path("recoveryAzureVmName").asText());
        assertTrue(registered.path("currentScenario").isMissingNode() || registered.path("currentScenario").isNull(), registered.toString());
        String itemPage = browser.findElement(By.tagName("main")).getText();
        assertTrue(itemPage.contains(registered.path("protectionState").asText()) && itemPage.contains("Recovery (Azure)")
                && itemPage.contains(host.virtualSwitches().get(0)), itemPage);
        browser.findElement(By.linkText("Protected items")).click();
        String row = await(By.cssSelector("tr[data-item='vm-registered']")).getText();
        assertTrue(row.contains(registered.path("protectionState").asText()) && row.contains("Recovery (Azure)"), row);
        assertTrue(registered.path("allowedOperations").toString().contains("DisableProtection"), registered.toString());

        // An Operator is offered neither: no way to the form, no Disable replication though the item allows it.
        browser.findElement(By.id("sign-out")).click();
        signIn(system.issuer().issue(TokenRole.OPERATOR, "operator@console-test", Duration.ofHours(1)));
        await(By.cssSelector("tr[data-item='vm-registered']"));
        assertTrue(browser.findElements(By.id("enable-replication")).isEmpty(), "no Enable replication for an Operator");
        browser.get(consoleUrl() + "#/items/vm-registered");
        await(By.id("failback-form")); // the failback is the Operator's to start
        List<String> offered = browser.findElements(By.cssSelector("#view button.action")).stream().map(WebElement::getText).toList();
        assertFalse(offered.contains("Disable replication"), offered.toString());
        browser.get(consoleUrl() + "#/protect");
        await(By.xpath("//h1[text()='Enable replication']"));
        assertTrue(browser.findElement(By.tagName("main")).getText().contains("may not enable replication"));
        assertTrue(browser.findElements(By.id("protect-form")).isEmpty(), "no form for an Operator");

        // The Contributor disables replication, confirming in the portal's words; the job removes the item, not the VM.
        browser.findElement(By.id("sign-out")).click();
        signIn(system.issuer().issue(TokenRole.CONTRIBUTOR, "contributor@console-test", Duration.ofHours(1)));
        browser.get(consoleUrl() + "#/items/vm-registered");
        button("Disable replication").click();
        WebElement dialog = await(By.id("confirm"));
        assertTrue(dialog.getText().contains("This removes 'vm-registered' from Site Recovery and stops its replication")
                && dialog.getText().contains("is not removed or affected"), dialog.getText());
        screenshot("disable-replication");
        browser.findElement(By.id("confirm-ok")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.urlContains("#/jobs/"));
        String jobName = URI.create(browser.getCurrentUrl()).getFragment().substring("/jobs/".length());
        JsonNode started = api.job(jobName).path("properties");
        assertEquals("DisableProtection", started.path("scenarioName").asText());
        assertEquals("contributor@console-test", started.path("startedBy").asText());
        awaitPage(PHASE_TIMEOUT, () -> List.of("Succeeded", "Failed", "Cancelled").contains(text(By.id("job-state"))));
        assertEquals("Succeeded", text(By.id("job-state")), api.job(jobName).toPrettyString());
        assertFalse(api.exists(item), "the API removed the item");
        assertEquals("Running", api.get(system.azureSimUrl().resolve("/api/vms/vm-registered")).path("state").asText(),
                "the VM keeps running in Azure");

        browser.findElement(By.linkText("Protected items")).click();
        await(By.xpath("//h1[text()='Protected items']"));
        assertTrue(browser.findElements(By.cssSelector("tr[data-item='vm-registered']")).isEmpty(), "the item is gone from the list");
        assertNoErrorsInTheBrowser();
    }

    // ---- the page ----

    private String consoleUrl() {
        return system.jobServiceUrl().resolve("/console/").toString();
    }

    private void signIn(String token) {
        browser.get(consoleUrl());
        WebElement field = await(By.id("token"));
        field.clear();
        field.sendKeys(token);
        browser.findElement(By.id("sign-in-button")).click();
    }

    private WebElement await(By locator) {
        return new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.visibilityOfElementLocated(locator));
    }

    private WebElement button(String label) {
        return await(By.xpath("//main//button[normalize-space()='" + label + "']"));
    }

    /**
     * The element's text now, "" when there is none. The page re-renders as the job's events come: an element found
     * and replaced before its text was read is found again.
     */
    private String text(By locator) {
        for (int attempt = 1; ; attempt++) {
            try {
                List<WebElement> found = browser.findElements(locator);
                return found.isEmpty() ? "" : found.get(0).getText();
            } catch (org.openqa.selenium.StaleElementReferenceException rerendered) {
                if (attempt == 10) {
                    throw rerendered;
                }
            }
        }
    }

    /** Polls the page every 100 ms until the condition holds (the page re-renders as events come: a stale read retries). */
    private void awaitPage(Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.get()) {
                    return;
                }
            } catch (org.openqa.selenium.StaleElementReferenceException rerendered) {
                // read again on the next turn
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page did not get there within " + timeout + "; it shows: "
                        + browser.findElement(By.tagName("main")).getText());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Nothing went wrong in the page: no script error, no request or script blocked by the Content-Security-Policy,
     * no failed request (Chromium logs each as SEVERE on the browser's console).
     */
    private void assertNoErrorsInTheBrowser() {
        List<String> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
        assertEquals(List.of(), severe);
    }

    private void screenshot(String name) {
        if (screenshots != null) {
            browser.executeScript("window.scrollTo(0, 0)");
            try {
                Files.write(screenshots.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static List<String> optionsOf(JsonNode estimate) {
        List<String> options = new ArrayList<>();
        estimate.path("options").forEach(option -> options.add(option.path("dataSyncOption").asText()));
        return options;
    }
}
