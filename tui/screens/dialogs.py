"""Dialogs: ask for a line of text, confirm with a reason, show a text. Each is a ModalScreen[T]
that dismisses with its answer (None: cancelled)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class AskText(ModalScreen[str | None]):
    """A question with a one-line answer; Enter answers, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str = "", hint: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.question, self.default, self.hint = question, default, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            if self.hint:
                yield Static(self.hint, markup=False, classes="dialog-hint")
            yield Input(self.default, id="answer")
            with Horizontal(classes="buttons"):
                yield Button(self.app.t("dialog.ok"), variant="primary", id="ok")
                yield Button(self.app.t("dialog.cancel"), id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.query_one("#answer", Input).value.strip() or None if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[str | None]):
    """Show what will happen and ask before doing it: dismisses with the reason given, or None.
    Without a `reason_label` there is no reason to give: accepting dismisses with `reason`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str, accept: str, reason_label: str | None = None, reason: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.body, self.accept = title, body, accept
        self.reason_label, self.reason = reason_label, reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body, markup=False)
            if self.reason_label is not None:
                yield Label(self.reason_label)
                yield Input(self.reason, id="reason")
            with Horizontal(classes="buttons"):
                yield Button(self.accept, variant="warning", id="accept")
                yield Button(self.app.t("dialog.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#accept", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        reason = self.query_one("#reason", Input).value.strip() if self.reason_label is not None else ""
        self.dismiss(reason or self.reason if event.button.id == "accept" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ShowText(ModalScreen[None]):
    """A read-only text (an explanation); Esc or Enter closes it."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", show=False)]

    def __init__(self, title: str, body: str | Text) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body, markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.app.t("dialog.close"), id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class Field:
    """One answer a FormDialog asks for: a line of text, or one of `choices` (value, label)."""

    def __init__(self, name: str, label: str, default: str = "", choices: list[tuple[str, str]] | None = None,
                 placeholder: str = "", required: bool = False) -> None:
        self.name, self.label, self.default, self.choices, self.placeholder = name, label, default, choices, placeholder
        self.required = required


class FormDialog(ModalScreen[dict | None]):
    """Show what will change and ask for its fields; the accept button writes (dismisses with
    {field: value}), Esc or Cancel writes nothing (None). Enter in a field moves to the next,
    after the last one to the accept button, so a stray Enter never writes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str | Text, fields: list[Field], accept: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.body, self.fields, self.accept = title, body, fields, accept

    def compose(self) -> ComposeResult:
        from textual.widgets import Select

        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body form-body"):
                yield Static(self.body, markup=False)
            for field in self.fields:
                yield Label(field.label)
                if field.choices is not None:
                    yield Select([(label, value) for value, label in field.choices], value=field.default or
                                 Select.NULL, allow_blank=not field.default, id=f"field-{field.name}", compact=True,
                                 prompt=self.app.t("dialog.choose"))
                else:
                    yield Input(field.default, placeholder=field.placeholder, id=f"field-{field.name}", compact=True)
            with Horizontal(classes="buttons"):
                yield Button(self.accept, variant="warning", id="accept")
                yield Button(self.app.t("dialog.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}").focus()

    def values(self) -> dict:
        from textual.widgets import Select

        answers = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            value = widget.value
            answers[field.name] = None if value is Select.NULL else (value.strip() if isinstance(value, str) else value)
        return answers

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f"field-{f.name}" for f in self.fields]
        position = names.index(event.input.id) if event.input.id in names else len(names) - 1
        if position + 1 < len(names):
            self.query_one(f"#{names[position + 1]}").focus()
        else:
            self.query_one("#accept", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "accept":
            self.dismiss(None)
            return
        answers = self.values()
        missing = next((f for f in self.fields if f.required and not answers[f.name]), None)
        if missing is not None:           # asked again here rather than refused after closing
            self.app.notify(self.app.t("dialog.required", field=missing.label), severity="warning")
            self.query_one(f"#field-{missing.name}").focus()
            return
        self.dismiss(answers)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choose(ModalScreen[str | None]):
    """Pick one of `choices` (value, label): arrows move, Enter picks, Esc cancels (None). The
    digit keys do nothing here, so a barcode scanned too early never switches screens behind it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                *(Binding(str(digit), "ignore", show=False) for digit in range(10))]

    def __init__(self, title: str, hint: str, choices: list[tuple[str, str]], default: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.hint, self.choices, self.default = title, hint, choices, default

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*(Option(label, id=value) for value, label in self.choices), id="choices")
            yield Label(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        from textual.widgets import OptionList

        choices = self.query_one("#choices", OptionList)
        values = [value for value, _ in self.choices]
        choices.highlighted = values.index(self.default) if self.default in values else 0
        choices.focus()

    def on_option_list_option_selected(self, event) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_ignore(self) -> None:
        pass

    def action_cancel(self) -> None:
        self.dismiss(None)
