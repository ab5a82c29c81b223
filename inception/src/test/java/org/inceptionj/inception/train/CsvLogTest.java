package org.inceptionj.inception.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSV log's runs: a header per run, and a resumed run's repeated steps logged once. */
class CsvLogTest {
    @TempDir
    Path tmp;

    private static String step(long s) {
        return s + ",0.500000,0.100000,1.000000,NaN,0,1.000000,1,0.250000,10.00,,";
    }

    private static String evaluation(long s) {
        return s + ",1,,,,,,,,,0.500000,0.900000";
    }

    private static TrainStep.Result result(long s) {
        return new TrainStep.Result(s, s / 3.0, 0.1f, 1f, Float.NaN, 0, 1, 1, 4, 1);
    }

    @Test
    void aNewRunStartsWithTheHeaderAndAfterAnEarlierRunAppendsItsOwn() throws IOException {
        Path f = tmp.resolve("log.csv");
        try (CsvLog log = new CsvLog(f)) {
            log.onStep(result(0), 10);
        }
        assertEquals(List.of(CsvLog.HEADER), Files.readAllLines(f).subList(0, 1));
        Files.writeString(f, Files.readString(f) + "1,0.3"); // a writer killed inside a line
        try (CsvLog log = new CsvLog(f)) {
            log.onStep(result(0), 10);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(5, lines.size(), lines.toString());
        assertEquals("1,0.3", lines.get(2));
        assertEquals(CsvLog.HEADER, lines.get(3));
        assertTrue(lines.get(4).startsWith("0,"), lines.get(4));
    }

    @Test
    void resumingDropsWhatTheInterruptedRunLoggedAfterItsLastSaveAndReplaysTheRest() throws IOException {
        Path f = tmp.resolve("log.csv");
        List<String> earlierRun = List.of(CsvLog.HEADER, step(0), step(1), step(2), evaluation(3), step(3));
        List<String> thisRun = List.of(CsvLog.HEADER, step(0), step(1), step(2), evaluation(3), step(3), step(4),
                evaluation(6) /* impossible, but after the save */, "a note someone added");
        List<String> all = new ArrayList<>(earlierRun);
        all.addAll(thisRun);
        Files.writeString(f, String.join("\n", all) + "\n5,1.66"); // and an unfinished line
        List<CsvLog.Row> replayed = new ArrayList<>();
        CsvLog log = CsvLog.resuming(f, replayed::add);
        assertEquals(String.join("\n", all) + "\n5,1.66", Files.readString(f), "nothing changes before the run starts");
        log.onStart(new Trainer.Run(null, null, null, 75, 4, 2, 3, 3, null)); // the checkpoint was saved after 3 steps
        log.onStep(result(3), 10);
        log.close();
        List<String> expected = new ArrayList<>(earlierRun); // an earlier run's lines are not touched
        expected.addAll(List.of(CsvLog.HEADER, step(0), step(1), step(2), evaluation(3), "a note someone added"));
        List<String> lines = Files.readAllLines(f);
        assertEquals(expected, lines.subList(0, expected.size()));
        assertTrue(lines.get(expected.size()).startsWith("3,1.000000,"), lines.toString());
        assertEquals(expected.size() + 1, lines.size(), lines.toString());
        assertEquals(List.of(0L, 1L, 2L, 3L), replayed.stream().map(CsvLog.Row::step).toList());
        assertTrue(replayed.get(3).evaluation() && replayed.get(3).top1() == 0.5 && replayed.get(3).top5() == 0.9);
        assertTrue(!replayed.get(0).evaluation() && replayed.get(0).loss() == 1.0 && replayed.get(0).trainAccuracy() == 0.25
                && replayed.get(0).learningRate() == 0.1);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(f), files.toList(), "no temporary file left");
        }
    }

    @Test
    void resumingALogWithNothingToDropLeavesItAsItIsAndAMissingLogStartsWithTheHeader() throws IOException {
        Path f = tmp.resolve("log.csv");
        String text = CsvLog.HEADER + "\n" + step(0) + "\n" + step(1) + "\n";
        Files.writeString(f, text);
        long modified = Files.getLastModifiedTime(f).toMillis();
        try (CsvLog log = CsvLog.resumed(f, 2, null)) {
            assertEquals(text, Files.readString(f));
            assertEquals(modified, Files.getLastModifiedTime(f).toMillis());
        }
        Path g = tmp.resolve("new.csv");
        try (CsvLog log = CsvLog.resumed(g, 7, null)) {
            log.onStep(result(7), 1);
        }
        List<String> lines = Files.readAllLines(g);
        assertEquals(CsvLog.HEADER, lines.get(0));
        assertTrue(lines.get(1).startsWith("7,"));
    }
}
