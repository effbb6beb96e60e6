import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Parsing and masking, in-process: no server. */
@Tag("unit")
class PostgresUrlTest {

    @Test
    void parsesBothSchemesAndMasksThePassword() {
        PostgresUrl url = PostgresUrl.parse("postgres://alice:s%40cret@db.example.com:6543/app?sslmode=require", Map.of());
        assertEquals("alice", url.user());
        assertEquals("db.example.com", url.host());
        assertEquals(6543, url.port());
        assertEquals("app", url.database());
        assertEquals("postgresql://alice:****@db.example.com:6543/app?sslmode=require", url.toString());
        assertEquals("postgresql://alice:s%40cret@db.example.com:6543/app?sslmode=require", url.secret());
        assertEquals("jdbc:postgresql://db.example.com:6543/app?sslmode=require", url.jdbcUrl());
        assertEquals("s@cret", url.connectionProperties().getProperty("password"));
    }

    @Test
    void missingPartsComeFromTheLibpqEnvironment() {
        PostgresUrl url = PostgresUrl.parse("postgresql://db.internal/", Map.of("PGUSER", "ops", "PGPASSWORD", "pw", "PGPORT", "5433", "PGDATABASE", "oxy"));
        assertEquals("ops", url.user());
        assertEquals(5433, url.port());
        assertEquals("oxy", url.database());
        assertEquals("postgresql://ops:****@db.internal:5433/oxy", url.toString());
    }

    @Test
    void defaultsFollowLibpq() {
        PostgresUrl url = PostgresUrl.parse("postgresql://localhost", Map.of());
        assertEquals("postgres", url.user());
        assertEquals(5432, url.port());
        assertEquals("postgres", url.database());
        assertFalse(url.hasPassword());
        assertEquals("postgresql://postgres@localhost:5432/postgres", url.toString());
    }

    @Test
    void aJdbcUrlIsAccepted() {
        assertEquals("oxy", PostgresUrl.parse("jdbc:postgresql://localhost:5432/oxy", Map.of()).database());
    }

    @Test
    void mistakesNameTheProblemAndNeverThePassword() {
        OxyError scheme = assertThrows(OxyError.class, () -> PostgresUrl.parse("mysql://root:hunter2@localhost/oxy", Map.of()));
        assertTrue(scheme.getMessage().contains("'mysql://'"), scheme.getMessage());
        OxyError noScheme = assertThrows(OxyError.class, () -> PostgresUrl.parse("root:hunter2@localhost:5432/oxy", Map.of()));
        assertTrue(noScheme.getMessage().contains("has no scheme"), noScheme.getMessage());
        OxyError port = assertThrows(OxyError.class, () -> PostgresUrl.parse("postgresql://root:hunter2@localhost:99999/oxy", Map.of()));
        assertTrue(port.getMessage().contains("invalid port"), port.getMessage());
        OxyError letters = assertThrows(OxyError.class, () -> PostgresUrl.parse("postgresql://root:hunter2@localhost:abc/oxy", Map.of()));
        assertTrue(letters.getMessage().contains("invalid port 'abc'"), letters.getMessage());
        for (OxyError error : new OxyError[] {scheme, noScheme, port, letters}) {
            assertEquals(ExitCode.USAGE, error.exitCode());
            assertFalse(error.getMessage().contains("hunter2"), error.getMessage());
            assertTrue(error.hint().contains(PostgresUrl.EXPECTED), error.hint());
        }
    }
}
