import CReadline
public enum LineEditorPlaceholder {}
