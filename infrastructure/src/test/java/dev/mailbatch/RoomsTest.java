package dev.mailbatch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The rooms of the local stack (docs/layout.md), checked on the compiled classes of both modules:
 * what emulates AWS ({@code local..}) never depends on what only tests it ({@code chaos},
 * {@code bench}), the deployed functions never depend on any of it, and the emulation's rooms
 * form no cycle.
 */
class RoomsTest {
    private static final String[] FUNCTIONS = {
        "dev.mailbatch.api..",
        "dev.mailbatch.config..",
        "dev.mailbatch.job..",
        "dev.mailbatch.mail..",
        "dev.mailbatch.store..",
        "dev.mailbatch.worker.."
    };
    private static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.mailbatch");

    @Test
    void bothModulesAreSeen() {
        org.junit.jupiter.api.Assertions.assertTrue(
                seen("dev.mailbatch.worker") && seen("dev.mailbatch.local.lambda"),
                "the rules see the functions' and the local stack's classes");
    }

    private static boolean seen(String pkg) {
        return ALL.stream().anyMatch(c -> c.getPackageName().equals(pkg));
    }

    @Test
    void whatEmulatesAwsNeverDependsOnWhatTestsIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.mailbatch.local..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.mailbatch.chaos..", "dev.mailbatch.bench..")
                .check(ALL);
    }

    @Test
    void theFunctionsNeverDependOnTheLocalStack() {
        noClasses()
                .that()
                .resideInAnyPackage(FUNCTIONS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.mailbatch.local..", "dev.mailbatch.chaos..", "dev.mailbatch.bench..")
                .check(ALL);
    }

    @Test
    void theChaosRunAndTheBenchmarkAreApart() {
        noClasses()
                .that()
                .resideInAPackage("dev.mailbatch.chaos..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.mailbatch.bench..")
                .check(ALL);
        noClasses()
                .that()
                .resideInAPackage("dev.mailbatch.bench..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.mailbatch.chaos..")
                .check(ALL);
    }

    @Test
    void theEmulationsRoomsFormNoCycle() {
        slices().matching("dev.mailbatch.local.(*)..").should().beFreeOfCycles().check(ALL);
    }

    /** The runner ({@code dev.mailbatch.local}) puts the rooms together; no room reaches back into it. */
    @Test
    void noRoomDependsOnTheRunner() {
        noClasses()
                .that()
                .resideInAPackage("dev.mailbatch.local.*..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.mailbatch.local")
                .check(ALL);
    }
}
