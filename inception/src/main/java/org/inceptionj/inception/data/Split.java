package org.inceptionj.inception.data;

/** Which half of a dataset distributed as a training and a test split. */
public enum Split {
    TRAIN,
    TEST;

    /** "train" or "test", for messages. */
    public String label() {
        return this == TRAIN ? "train" : "test";
    }
}
