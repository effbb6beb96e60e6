import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The value converter, the schema splitter and retention, in-process: what they decide, without a server. */
@Tag("unit")
class ConversionAndRetentionTest {

    @Test
    void timestampsParseStrictlyInOxysTwoFormsAndOthers() throws Exception {
        assertEquals(Instant.parse("2025-06-11T01:56:38.123457Z"), Values.instant("2025-06-11T01:56:38.123456789+00:00"),
            "nine fraction digits rounded to PostgreSQL's microseconds");
        assertEquals(Instant.parse("2025-06-11T01:56:38Z"), Values.instant("2025-06-11 01:56:38"), "no zone is UTC");
        assertEquals(Instant.parse("2025-06-10T20:26:38Z"), Values.instant("2025-06-11 01:56:38 +05:30"));
        assertEquals(Instant.parse("2024-02-29T10:00:00Z"), Values.instant("2024-02-29 10:00:00"));
        for (String impossible : List.of("2024-02-30 10:00:00", "2023-02-29T10:00:00Z", "2024-04-31", "2024-13-01 00:00:00")) {
            assertThrows(BadValue.class, () -> Values.instant(impossible), impossible + " is refused, not moved");
        }
    }

    @Test
    void integersAreRangeCheckedWhateverSqliteStoredThemAs() throws Exception {
        assertEquals(42L, Values.integer(42, "int4"));
        assertEquals(Long.MAX_VALUE, Values.integer(Long.MAX_VALUE, "int8"));
        assertEquals(7L, Values.integer(7.0, "int8"));
        // SQLite keeps 9223372036854775808 as REAL 9.223372036854776E18: past bigint, not clamped to it
        assertThrows(BadValue.class, () -> Values.integer(9.223372036854775807E18, "int8"));
        assertThrows(BadValue.class, () -> Values.integer(-1e19, "int8"));
        assertThrows(BadValue.class, () -> Values.integer(2.5, "int8"));
        assertThrows(BadValue.class, () -> Values.integer(3_000_000_000L, "int4"));
        assertThrows(BadValue.class, () -> Values.integer("9223372036854775808", "int8"));
    }

    @Test
    void aUuidIsTheSameAsABlobAsTextAndAsHex() throws Exception {
        UUID id = UUID.fromString("0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b");
        byte[] blob = java.nio.ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
        assertEquals(id, Values.uuid(blob));
        assertEquals(id, Values.uuid(id.toString()));
        assertEquals(id, Values.uuid(id.toString().replace("-", "").toUpperCase()));
        assertThrows(BadValue.class, () -> Values.uuid(new byte[] {1, 2, 3}));
        assertEquals(id, Values.uuid("  " + id.toString().toUpperCase() + "\n"), "surrounding blanks go, case does not matter");
        assertEquals(new UUID(-1, -1), Values.uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
        for (String notAUuid : new String[] {"", "0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7", "0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7g",
            "0195e3b27-c4a-7d3e-9a1b-2c3d4e5f6a7b", "0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7\u0663", "0195e3b27c4a7d3e9a1b2c3d4e5f6a7\uff10",
            "{0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b}", "0195e3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b0"}) {
            assertThrows(BadValue.class, () -> Values.uuid(notAUuid), notAUuid);
        }
    }

    @Test
    void aDumpsSchemaSplitsAsTheServerReadsIt() {
        String sql = "\\restrict abc\nSET client_min_messages = warning;\n-- Name: f; Type: FUNCTION\n"
            + "CREATE FUNCTION public.f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END; $$;\n"
            + "CREATE TABLE public.\"odd;name\" (a text DEFAULT 'x;y');\n"
            + "ALTER TABLE ONLY public.t ALTER COLUMN a SET (pg_attver=26895040);\n\\unrestrict abc\n"
            + "CREATE FUNCTION public.g() RETURNS text LANGUAGE sql AS $$ SELECT '\n\\x' $$;\n";
        List<String> statements = PreDataSection.statementsOf(sql);
        assertEquals(5, statements.size(), statements.toString());
        assertTrue(statements.stream().noneMatch(st -> st.contains("restrict")), "pg_dump's restrict lines are psql's, not SQL: " + statements);
        assertTrue(statements.get(4).contains("\n\\x' $$"), "a body line that begins with a backslash is kept: " + statements.get(4));
        assertTrue(statements.get(1).contains("RETURN 2; END; $$"), "a dollar-quoted body is one statement");
        assertTrue(statements.get(2).contains("'x;y'"), "a quoted semicolon splits nothing");
        assertTrue(PreDataSection.ColumnOptionFilter.isColumnOptions(statements.get(3)));
        assertTrue(!PreDataSection.ColumnOptionFilter.isColumnOptions(statements.get(2)));
    }

    /**
     * 90 nightly backups up to Tuesday 2026-12-01: --keep-daily 7 --keep-weekly 4 --keep-monthly 3 keeps the
     * last 7 nights, the newest of the two ISO weeks before those (Nov 22, Nov 15) and of October (Oct 31).
     */
    @Test
    void retentionKeepsTheNewestOfEachPeriod() {
        Instant night = Instant.parse("2026-12-01T03:00:00Z");
        List<BackupStore.Entry> newestFirst = new ArrayList<>();
        for (int day = 0; day < 90; day++) newestFirst.add(entry(night.minus(day, ChronoUnit.DAYS)));
        backup.Retention retention = new backup.Retention();
        retention.daily = 7;
        retention.weekly = 4;
        retention.monthly = 3;
        List<String> kept = new ArrayList<>(newestFirst.stream().map(BackupStore.Entry::name).toList());
        kept.removeAll(retention.expired(newestFirst).stream().map(BackupStore.Entry::name).toList());
        assertEquals(List.of("oxy_20261201_030000", "oxy_20261130_030000", "oxy_20261129_030000", "oxy_20261128_030000", "oxy_20261127_030000",
            "oxy_20261126_030000", "oxy_20261125_030000", "oxy_20261122_030000", "oxy_20261115_030000", "oxy_20261031_030000"), kept);
        assertTrue(retention.expired(newestFirst).stream().noneMatch(e -> e == newestFirst.get(0)));
        backup.Retention none = new backup.Retention();
        none.last = 0;
        assertEquals(89, none.expired(newestFirst).size(), "--keep-last 0 still keeps the newest");
    }

    /**
     * Issue 29: a manifest owns exactly its own two names, its data (NAME + one of our extensions, or the
     * directory NAME) and NAME.manifest.json, and NAME is one of ours exactly. Prefix tricks are refused.
     */
    @Test
    void aManifestOwnsExactlyItsOwnDataAndManifestNames() throws Exception {
        BackupManifest real = entry(Instant.parse("2026-12-01T03:00:00Z")).manifest();
        assertEquals(List.of("oxy_20261201_030000.dump", "oxy_20261201_030000.manifest.json"), real.ownedFiles());
        for (String[] good : new String[][] {{"oxy_20261201_030000", "oxy_20261201_030000.dump.age"}, {"oxy_20261201_030000_2", "oxy_20261201_030000_2.sql.gz"},
                {"oxy_20261201_030000", "oxy_20261201_030000"}, {"oxy_20261201_030000", "oxy_20261201_030000.sql.zst"}, {"oxy_20261201_030000", "oxy_20261201_030000.sql"}}) {
            BackupManifest read = BackupManifest.read(manifestJson(good[0], good[1]), good[0] + BackupManifest.SUFFIX, "test");
            assertEquals(List.of(good[1], good[0] + BackupManifest.SUFFIX), read.ownedFiles());
        }
        String[][] forged = {
            {"oxy_2", "oxy_20261201_030000.dump"},                                  // a prefix of another backup's name
            {"oxy_20261201_030000", "oxy_20261201_030000_2.dump"},                  // a prefix of the next backup of that second
            {"oxy_20261201_030000", "oxy_20261201_030000.manifest.json"},           // its own manifest as its data
            {"oxy_20261201_030000", "oxy_20261201_030000.dump.bak"},                // not one of our extensions
            {"oxy_20261201_030000", "oxy_20261201_030000/../oxy_20261130_030000.dump"},
            {"oxy_20261201_030000", "../oxy_20261201_030000.dump"},
            {"oxy_20261201_03000", "oxy_20261201_03000.dump"},                      // not our name pattern
            {"Oxy_20261201_030000", "Oxy_20261201_030000.dump"},
            {"oxy_20261201_030000", null}, {null, "oxy_20261201_030000.dump"}};
        for (String[] bad : forged) {
            String manifestFile = (bad[0] == null ? "oxy_x" : bad[0]) + BackupManifest.SUFFIX;
            OxyError refused = assertThrows(OxyError.class, () -> BackupManifest.read(manifestJson(bad[0], bad[1]), manifestFile, manifestFile), String.join(" ", java.util.Arrays.asList(bad)));
            assertEquals(ExitCode.VERIFICATION_FAILED, refused.exitCode());
            assertTrue(refused.getMessage().contains(manifestFile) && refused.hint().contains("nothing was removed"), refused.getMessage());
            assertThrows(OxyError.class, () -> BackupManifest.readIfParsable(manifestJson(bad[0], bad[1]), manifestFile), "a listing refuses it too");
        }
        // a manifest of the right pattern under another object's name is not its own either
        assertThrows(OxyError.class, () -> BackupManifest.read(manifestJson("oxy_20261201_030000", "oxy_20261201_030000.dump"), "oxy_20261202_030000" + BackupManifest.SUFFIX, "x"));
        // one built in memory (not read) is held to the same rule before anything is deleted for it
        BackupManifest builtForged = new BackupManifest("oxy_2", "oxy_20261201_030000.dump", "custom", "gzip", "00", 1, "oxy", "docker", "18.6", "18.6", "1",
            Map.of(), Instant.EPOCH, Instant.EPOCH, 0, "archive", "test", null, null, null);
        assertThrows(OxyError.class, builtForged::ownedFiles);
    }

    private static byte[] manifestJson(String name, String file) throws Exception {
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("name", name);
        fields.put("file", file);
        fields.put("sha256", "00");
        fields.put("startedAt", "2026-12-01T03:00:00Z");
        fields.put("rowCounts", Map.of());
        return BackupManifest.json().writeValueAsBytes(fields);
    }

    private static BackupStore.Entry entry(Instant startedAt) {
        String name = "oxy_" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(java.time.ZoneOffset.UTC).format(startedAt);
        BackupManifest manifest = new BackupManifest(name, name + ".dump", "custom", "zstd:3", "00", 1, "oxy", "docker", "18.6", "18.6", "1",
            Map.of(), startedAt, startedAt.plusSeconds(5), 5, "archive", "oxy-ops test", null, null, null);
        return new BackupStore.Entry(manifest, Path.of("/nonexistent", name + ".dump"));
    }
}
