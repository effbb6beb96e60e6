import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every option the --help of doctor, maintain and psql lists appears on its manual page under docs/. */
class CommandDocsTest {
    @Test
    void everyOptionOfTheNewCommandsIsOnItsPage() throws Exception {
        for (Object command : List.of(new doctor(), new maintain(), new psql())) {
            CommandLine cli = new CommandLine(command);
            String name = cli.getCommandName();
            String page = Files.readString(Path.of("docs", name + ".md"));
            Matcher option = Pattern.compile("--[a-z][a-z-]+").matcher(cli.getUsageMessage(CommandLine.Help.Ansi.OFF));
            while (option.find()) assertTrue(page.contains("`" + option.group()), "docs/" + name + ".md lacks " + option.group());
        }
    }
}
