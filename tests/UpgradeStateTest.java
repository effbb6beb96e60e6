import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upgrade's state file: each step recorded on a new value, and what a rerun reads back. */
@Tag("unit")
class UpgradeStateTest {
    @TempDir Path state;

    /** A docker upgrade from 17 to 18 as upgrade plans it: nothing done yet. */
    private static UpgradeState planned() {
        return new UpgradeState("docker", "oxy-postgres", "postgres:17-alpine", "oxy-postgres-data", 17, "postgres:18-alpine",
            "oxy-postgres-data-18", 18, "oxy-postgres-upgrade-18", "oxy-postgres-pg17", null, 0, List.of(), null);
    }

    @Test
    void eachStepIsAddedToANewValueInOrder() {
        UpgradeState planned = planned();
        UpgradeState restored = planned.with(UpgradeState.BACKED_UP).with(UpgradeState.RESTORED);
        assertEquals(List.of("backed-up", "restored"), restored.done());
        assertEquals(List.of(), planned.done(), "the planned value is not changed");
        assertTrue(restored.did(UpgradeState.BACKED_UP));
        assertTrue(restored.did(UpgradeState.RESTORED));
        assertFalse(restored.did(UpgradeState.VERIFIED));
        assertFalse(restored.swapped());
        assertEquals(planned.to(), restored.to());
        assertEquals(planned.kept(), restored.kept());
    }

    @Test
    void swappedIsTheSwappedStep() {
        UpgradeState verified = planned().with(UpgradeState.BACKED_UP).with(UpgradeState.RESTORED).with(UpgradeState.VERIFIED);
        assertFalse(verified.swapped());
        UpgradeState swapped = verified.with(UpgradeState.SWAPPED);
        assertTrue(swapped.swapped());
        assertEquals(List.of("backed-up", "restored", "verified", "swapped"), swapped.done());
    }

    @Test
    void withBackupNamesTheFinalBackupAndKeepsTheSteps() {
        UpgradeState backedUp = planned().with(UpgradeState.RESTORED).withBackup("oxy_20260101_020000", 42);
        assertEquals("oxy_20260101_020000", backedUp.backup());
        assertEquals(42, backedUp.writesAtBackup());
        assertEquals(List.of("restored"), backedUp.done());
        assertEquals("oxy-postgres-data", backedUp.from());
        assertEquals(17, backedUp.fromMajor());
    }

    @Test
    void withoutBackupForgetsTheBackupAndEveryStepButNotThePlan() {
        UpgradeState planned = planned();
        UpgradeState stale = planned.withBackup("oxy_20260101_020000", 42).with(UpgradeState.BACKED_UP).with(UpgradeState.RESTORED);
        UpgradeState again = stale.withoutBackup();
        assertNull(again.backup());
        assertEquals(0, again.writesAtBackup());
        assertEquals(List.of(), again.done());
        assertEquals(planned, again, "back to the plan as it was before the final backup");
    }

    @Test
    void writeThenReadGivesTheSameState() throws Exception {
        UpgradeState written = planned().withBackup("oxy_20260101_020000", 7).with(UpgradeState.BACKED_UP).with(UpgradeState.RESTORED);
        Path file = state.resolve("nested/upgrade-oxy-postgres.json");
        written.write(file);
        assertEquals(Optional.of(written), UpgradeState.read(file));
        assertEquals(List.of("upgrade-oxy-postgres.json"), names(file.getParent()), "no temporary file is left beside it");

        JsonNode json = BackupManifest.json().readTree(file.toFile());
        Set<String> keys = new TreeSet<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertEquals(new TreeSet<>(List.of("runtime", "name", "fromImage", "from", "fromMajor", "toImage", "to", "toMajor", "staging",
            "kept", "backup", "writesAtBackup", "done", "replication")), keys);
        assertEquals("oxy-postgres-data-18", json.path("to").asText());
        assertEquals(7, json.path("writesAtBackup").asLong());
        assertEquals("restored", json.path("done").get(1).asText());
        assertTrue(json.path("replication").isNull(), "--method dump: no replication");
    }

    /** --method replicate's changes to the old server are read back exactly: cleanup undoes those and no others. */
    @Test
    void aReplicatedUpgradeKeepsWhatItChangedOnTheOldServer() throws Exception {
        UpgradeState written = planned().withReplication(new UpgradeState.Replication(List.of("public.events|d", "public.log|n"), "7441234567890123456"))
            .with(UpgradeState.SUBSCRIBED).with(UpgradeState.WRITES_REFUSED);
        Path file = state.resolve("upgrade-oxy-postgres.json");
        written.write(file);
        UpgradeState read = UpgradeState.read(file).orElseThrow();
        assertEquals(written, read);
        assertTrue(read.replicated() && read.did(UpgradeState.WRITES_REFUSED) && !read.did(UpgradeState.VERIFIED));
        assertEquals("public.events", LogicalReplication.tableOf(read.replication().replicaIdentityFull().get(0)));
        assertFalse(planned().replicated());
    }

    @Test
    void aSecondWriteReplacesTheFirst() throws Exception {
        Path file = state.resolve("upgrade-oxy-postgres.json");
        planned().write(file);
        UpgradeState swapped = planned().with(UpgradeState.SWAPPED);
        swapped.write(file);
        assertEquals(Optional.of(swapped), UpgradeState.read(file));
        assertEquals(List.of("upgrade-oxy-postgres.json"), names(state));
    }

    @Test
    void aMissingFileIsNoUpgrade() throws Exception {
        assertEquals(Optional.empty(), UpgradeState.read(state.resolve("upgrade-oxy-postgres.json")));
    }

    /** A file cut short or emptied (not by write, which renames a whole file into place) is not taken for a state. */
    @Test
    void aBrokenFileIsAnErrorNotAnEmptyState() throws Exception {
        Path file = state.resolve("upgrade-oxy-postgres.json");
        planned().with(UpgradeState.BACKED_UP).write(file);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThrows(JsonProcessingException.class, () -> UpgradeState.read(file));
        Files.write(file, new byte[0]);
        assertThrows(JsonProcessingException.class, () -> UpgradeState.read(file));
    }

    @Test
    void theFileIsNamedAfterTheContainerOrEmbedded() {
        RuntimeOptions options = new RuntimeOptions();
        options.stateDir = state;
        options.container = "oxy-postgres";
        assertEquals(state.resolve("upgrade-oxy-postgres.json"), UpgradeState.file(options, true));
        assertEquals(state.resolve("upgrade-embedded.json"), UpgradeState.file(options, false));
    }

    private static List<String> names(Path directory) throws Exception {
        try (var files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
