package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.inception.InceptionV3;
import org.inceptionj.inception.Presets;
import org.inceptionj.inception.data.DataSource;
import org.inceptionj.inception.data.SmallImageAugmentation;
import org.junit.jupiter.api.Test;

/**
 * The README's library example, kept here so that it compiles and runs: {@link #example} is the text
 * between the markers, which the README must contain line for line; the test runs it on a small slice
 * of the shipped Fashion-MNIST.
 */
class ReadmeExampleTest {

    static Trainer.Outcome example(DataSource data) {
        // README example begin
        InceptionV3.Config config = Presets.named("inception-v3").withNumClasses(data.train().classes().size())
                .withWidthMultiplier(0.25).withAuxLogits(false).withDropout(Recipe.small().dropout());
        try (Backend backend = Backends.load();
             InceptionV3 model = new InceptionV3(backend, config, 0, Recipe.small().init());
             Trainer trainer = Trainer.builder(model, data.train()).test(data.test())
                     .recipe(Recipe.small(), 7).imageSize(75)
                     .transforms(SmallImageAugmentation.none(75), SmallImageAugmentation.none(75))
                     .listener(new ConsoleProgress(System.err)).build()) {
            Trainer.Outcome outcome = trainer.fit();
            System.out.printf("test top-1 %.2f%%%n", 100 * outcome.last().result().top1());
            return outcome;
        }
        // README example end
    }

    @Test
    void theReadmeShowsTheExampleLineForLine() throws IOException {
        Path readme = Path.of("..", "README.md");
        Path source = Path.of("src", "test", "java", "org", "inceptionj", "inception", "train", "ReadmeExampleTest.java");
        String text = Files.readString(source);
        String body = text.substring(text.indexOf("// README example begin\n") + "// README example begin\n".length(),
                text.indexOf("        // README example end"));
        String doc = Files.readString(readme);
        for (String line : body.strip().lines().map(String::strip).toList()) {
            assertTrue(doc.lines().map(String::strip).anyMatch(line::equals), "README.md lacks the example line: " + line);
        }
    }

    @Test
    void theExampleTrainsAndEvaluates() {
        DataSource full = DataSource.open("fashion-mnist");
        DataSource small = new DataSource("fashion-mnist (slice)", full.kind(), Trainer.head(full.train(), 128),
                Trainer.head(full.test(), 50), full.nativeSize());
        Trainer.Outcome o = example(small);
        assertEquals(14, o.steps(), "7 epochs of 2 batches of 64");
        assertNotNull(o.last());
        assertEquals(50, o.last().result().examples());
        assertTrue(o.last().complete());
    }
}
