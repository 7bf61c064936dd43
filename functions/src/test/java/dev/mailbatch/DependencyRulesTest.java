package dev.mailbatch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Which package may use which, checked on the compiled classes: the domain depends on nothing,
 * no two packages depend on each other (directly or through others), and the functions never
 * reach into the local runner (which lives in another module and is not deployed).
 */
class DependencyRulesTest {
    private static final JavaClasses FUNCTIONS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.mailbatch");

    @Test
    void theDomainImportsOnlyTheJdk() {
        classes()
                .that()
                .resideInAPackage("dev.mailbatch.job..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "dev.mailbatch.job..")
                .check(FUNCTIONS);
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        slices().matching("dev.mailbatch.(*)..").should().beFreeOfCycles().check(FUNCTIONS);
    }

    /** No local-stack, chaos or benchmark code inside the functions (infrastructure's RoomsTest checks the other side). */
    @Test
    void theFunctionsHoldNoLocalStackCode() {
        noClasses()
                .should()
                .resideInAnyPackage("dev.mailbatch.local..", "dev.mailbatch.chaos..", "dev.mailbatch.bench..")
                .check(FUNCTIONS);
    }

    @Test
    void onlyTheStoresTalkToDynamoDb() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.mailbatch.job..", "dev.mailbatch.mail..", "dev.mailbatch.worker..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("software.amazon.awssdk.services.dynamodb.model..")
                .check(FUNCTIONS);
    }
}
