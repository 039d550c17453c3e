//! HTML parsed with bounded work. html5ever's tree builder walks its stack of open elements for
//! most tags, so a document nested n deep costs about n per tag: quadratic in a hostile one
//! (`<div/>` repeated, `<div></x>` repeated, a stray `<"` before thousands of `<div>`s). A
//! count of our own beside the parser disagrees with it on exactly such shapes, so the bound is
//! read off the parser itself: every parse here goes through [`Budgeted`], a tree sink that
//! knows each element's depth as the tree builder nests it, and is fed in small chunks. Once the
//! tree is deeper than [`MAX_NESTING`], or the thread's deadline ([`Deadline`]) has passed,
//! nothing more is fed and the parse ends there: the cost of one parse is at most linear in its
//! input with a constant of [`MAX_NESTING`], and a parse past its budget stops within one chunk.
//!
//! What the callers make of a cut: a feed's HTML is kept as its text ([`flattened`]), a list
//! page or an article page that nests that deep is an error.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;
use std::time::Instant;

use html5ever::interface::{Attribute, ElementFlags, NodeOrText, QualName, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, ParseOpts, local_name, ns};

/// The deepest nesting of elements a parse may build: real pages nest a few dozen levels.
pub const MAX_NESTING: usize = 256;

/// Input fed to the parser at a time: the most work done past a limit before it is noticed.
const CHUNK_BYTES: usize = 4 * 1024;

/// Why a parse was stopped before the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The tree builder nested elements deeper than [`MAX_NESTING`].
    TooDeep,
    /// The thread's parse deadline passed.
    OutOfTime,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::TooDeep => write!(f, "elements nested deeper than {MAX_NESTING} levels"),
            Cut::OutOfTime => write!(f, "the parse ran out of its time budget"),
        }
    }
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Threads inside a [`Deadline`] now: parse work a poll or an article job started and has not
/// seen end, whether or not anyone still waits for it.
static RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many threads are doing parse work under a deadline now (the hostile-input benchmark
/// checks that none is left once a budget has fired).
pub fn running() -> usize {
    RUNNING.load(std::sync::atomic::Ordering::SeqCst)
}

/// The time the parses on this thread must end by, while the value lives (the previous one
/// comes back when it is dropped). Set by the blocking tasks that parse a poll's or an
/// article's documents, so that a parse past the budget stops instead of running on unseen.
#[must_use = "the deadline holds only while the value lives"]
pub struct Deadline {
    previous: Option<Instant>,
}

impl Deadline {
    pub fn set(at: Instant) -> Self {
        RUNNING.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self {
            previous: DEADLINE.with(|d| d.replace(Some(at))),
        }
    }

    /// Whether this thread's deadline has passed.
    pub fn passed() -> bool {
        DEADLINE
            .with(Cell::get)
            .is_some_and(|at| Instant::now() > at)
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.previous));
        RUNNING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Parse `html` as a document into `sink`'s output, or say why the parse was cut.
pub fn document<S>(sink: S, html: &str, opts: ParseOpts) -> Result<S::Output, Cut>
where
    S: TreeSink,
    S::Handle: Hash + Eq,
{
    let (budgeted, status) = Budgeted::new(sink);
    feed(html5ever::parse_document(budgeted, opts), html, &status)
}

/// Whether `html`, parsed as the body fragment a sanitizer reads, stays within the budget:
/// `Ok` when it may be handed to a parser that cannot be stopped (ammonia's). Short documents
/// are not parsed: with few tags even the deepest nesting costs little.
pub fn fragment_fits(html: &str) -> Result<(), Cut> {
    // Each `<` opens at most one element and a few implied ones; a document with this few of
    // them cannot nest deep enough to cost anything.
    if html.bytes().filter(|b| *b == b'<').count() <= MAX_NESTING / 4 {
        return Ok(());
    }
    let (budgeted, status) = Budgeted::new(Shape::default());
    let parser = html5ever::parse_fragment(
        budgeted,
        ParseOpts::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        Vec::new(),
        false,
    );
    feed(parser, html, &status).map(|_| ())
}

/// Feed `html` to `parser` a chunk at a time while the budget holds.
fn feed<P>(mut parser: P, html: &str, status: &Rc<Cell<Option<Cut>>>) -> Result<P::Output, Cut>
where
    P: TendrilSink<html5ever::tendril::fmt::UTF8>,
{
    let mut rest = html;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, after) = rest.split_at(end);
        parser.process(StrTendril::from_slice(chunk));
        rest = after;
        if status.get().is_none() && Deadline::passed() {
            status.set(Some(Cut::OutOfTime));
        }
        if let Some(cut) = status.get() {
            return Err(cut);
        }
    }
    let output = parser.finish();
    status.get().map_or(Ok(output), Err)
}

/// `html` as its text in paragraphs, markup dropped, for a document whose markup could not be
/// parsed within the budget. Read by html5ever's tokenizer alone (linear: it keeps no stack), with
/// script and style contents left out as the tree builder would.
pub fn flattened(html: &str) -> String {
    let sink = TextOnly {
        text: RefCell::new(String::with_capacity(html.len() / 2)),
        skipping: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let text = tokenizer.sink.text.into_inner();
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| html_escape::encode_text(p.trim()).into_owned())
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    paragraphs.concat()
}

/// `html` as a sanitizer may read it: itself when it parses within the budget, else its text.
pub fn bounded(html: &str) -> (Cow<'_, str>, Option<Cut>) {
    match fragment_fits(html) {
        Ok(()) => (Cow::Borrowed(html), None),
        Err(cut) => (Cow::Owned(flattened(html)), Some(cut)),
    }
}

/// A tree sink that passes everything to `inner` and keeps the depth of every element, as the
/// tree builder places it; past [`MAX_NESTING`] it marks the parse for stopping.
pub struct Budgeted<S: TreeSink> {
    inner: S,
    depth: RefCell<HashMap<S::Handle, u32>>,
    status: Rc<Cell<Option<Cut>>>,
}

impl<S> Budgeted<S>
where
    S: TreeSink,
    S::Handle: Hash + Eq,
{
    fn new(inner: S) -> (Self, Rc<Cell<Option<Cut>>>) {
        let status = Rc::new(Cell::new(None));
        let sink = Self {
            inner,
            depth: RefCell::new(HashMap::new()),
            status: Rc::clone(&status),
        };
        (sink, status)
    }

    fn depth_of(&self, node: &S::Handle) -> u32 {
        self.depth.borrow().get(node).copied().unwrap_or(0)
    }

    /// `child` placed at `depth`.
    fn placed(&self, child: &NodeOrText<S::Handle>, depth: u32) {
        if let NodeOrText::AppendNode(node) = child {
            self.depth.borrow_mut().insert(node.clone(), depth);
            if depth as usize > MAX_NESTING && self.status.get().is_none() {
                self.status.set(Some(Cut::TooDeep));
            }
        }
    }
}

impl<S> TreeSink for Budgeted<S>
where
    S: TreeSink,
    S::Handle: Hash + Eq,
{
    type Handle = S::Handle;
    type Output = S::Output;
    type ElemName<'a>
        = S::ElemName<'a>
    where
        Self: 'a;

    fn finish(self) -> Self::Output {
        self.inner.finish()
    }
    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }
    fn get_document(&self) -> Self::Handle {
        self.inner.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }
    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> Self::Handle {
        self.inner.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: StrTendril) -> Self::Handle {
        self.inner.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Self::Handle {
        self.inner.create_pi(target, data)
    }
    fn append(&self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        self.placed(&child, self.depth_of(parent) + 1);
        self.inner.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &Self::Handle,
        prev_element: &Self::Handle,
        child: NodeOrText<Self::Handle>,
    ) {
        // Beside `element` when it has a parent, else inside `prev_element`: the deeper.
        let depth = self.depth_of(element).max(self.depth_of(prev_element) + 1);
        self.placed(&child, depth);
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }
    fn mark_script_already_started(&self, node: &Self::Handle) {
        self.inner.mark_script_already_started(node);
    }
    fn pop(&self, node: &Self::Handle) {
        self.inner.pop(node);
    }
    fn get_template_contents(&self, target: &Self::Handle) -> Self::Handle {
        let contents = self.inner.get_template_contents(target);
        // A template's contents sit one level below it, or nested templates would start over.
        let depth = self.depth_of(target) + 1;
        self.depth.borrow_mut().insert(contents.clone(), depth);
        contents
    }
    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        self.inner.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        self.placed(&new_node, self.depth_of(sibling));
        self.inner.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &Self::Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }
    fn associate_with_form(
        &self,
        target: &Self::Handle,
        form: &Self::Handle,
        nodes: (&Self::Handle, Option<&Self::Handle>),
    ) {
        self.inner.associate_with_form(target, form, nodes);
    }
    fn remove_from_parent(&self, target: &Self::Handle) {
        self.inner.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &Self::Handle, new_parent: &Self::Handle) {
        self.inner.reparent_children(node, new_parent);
    }
    fn is_mathml_annotation_xml_integration_point(&self, handle: &Self::Handle) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }
    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number);
    }
    fn allow_declarative_shadow_roots(&self, intended_parent: &Self::Handle) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }
    fn attach_declarative_shadow(
        &self,
        location: &Self::Handle,
        template: &Self::Handle,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }
    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Self::Handle) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}

/// The least tree a parse can build: element names only, for measuring a document that
/// another parser will read.
#[derive(Default)]
struct Shape {
    names: RefCell<Vec<Option<QualName>>>,
}

impl Shape {
    fn node(&self, name: Option<QualName>) -> usize {
        let mut names = self.names.borrow_mut();
        names.push(name);
        names.len()
    }
}

/// The name of a node of a [`Shape`] (a non-element has none; the tree builder never asks).
#[derive(Debug)]
pub struct ShapeName<'a>(std::cell::Ref<'a, Option<QualName>>);

impl html5ever::interface::ElemName for ShapeName<'_> {
    fn ns(&self) -> &html5ever::Namespace {
        static NONE: std::sync::LazyLock<html5ever::Namespace> =
            std::sync::LazyLock::new(|| ns!(html));
        self.0.as_ref().map_or(&NONE, |n| &n.ns)
    }
    fn local_name(&self) -> &LocalName {
        static NONE: std::sync::LazyLock<LocalName> = std::sync::LazyLock::new(|| local_name!(""));
        self.0.as_ref().map_or(&NONE, |n| &n.local)
    }
}

impl TreeSink for Shape {
    type Handle = usize;
    type Output = ();
    type ElemName<'a> = ShapeName<'a>;

    fn finish(self) {}
    fn parse_error(&self, _msg: Cow<'static, str>) {}
    fn get_document(&self) -> usize {
        0
    }
    fn elem_name<'a>(&'a self, target: &'a usize) -> ShapeName<'a> {
        ShapeName(std::cell::Ref::map(self.names.borrow(), |names| {
            target
                .checked_sub(1)
                .and_then(|i| names.get(i))
                .unwrap_or(&None)
        }))
    }
    fn create_element(&self, name: QualName, _: Vec<Attribute>, _: ElementFlags) -> usize {
        self.node(Some(name))
    }
    fn create_comment(&self, _text: StrTendril) -> usize {
        self.node(None)
    }
    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> usize {
        self.node(None)
    }
    fn append(&self, _parent: &usize, _child: NodeOrText<usize>) {}
    fn append_based_on_parent_node(&self, _: &usize, _: &usize, _: NodeOrText<usize>) {}
    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}
    fn get_template_contents(&self, _target: &usize) -> usize {
        self.node(None)
    }
    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }
    fn set_quirks_mode(&self, _mode: QuirksMode) {}
    fn append_before_sibling(&self, _sibling: &usize, _new_node: NodeOrText<usize>) {}
    fn add_attrs_if_missing(&self, _target: &usize, _attrs: Vec<Attribute>) {}
    fn remove_from_parent(&self, _target: &usize) {}
    fn reparent_children(&self, _node: &usize, _new_parent: &usize) {}
}

/// A token sink that keeps the text, a paragraph break at each block-level tag, and nothing of
/// scripts and styles.
struct TextOnly {
    text: RefCell<String>,
    skipping: Cell<bool>,
}

impl TokenSink for TextOnly {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        use html5ever::tokenizer::states::RawKind;
        match token {
            Token::CharacterTokens(t) if !self.skipping.get() => {
                self.text.borrow_mut().push_str(&t)
            }
            Token::TagToken(Tag { kind, name, .. }) => {
                let start = kind == TagKind::StartTag;
                if is_block(&name) {
                    self.text.borrow_mut().push_str("\n\n");
                }
                // As the tree builder switches the tokenizer: their contents are not markup.
                let raw = match &*name {
                    "script" => Some(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
                    "textarea" | "title" => Some(RawKind::Rcdata),
                    _ => None,
                };
                if let Some(kind) = raw {
                    self.skipping
                        .set(start && !matches!(&*name, "textarea" | "title"));
                    if start {
                        return TokenSinkResult::RawData(kind);
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn is_block(name: &LocalName) -> bool {
    matches!(
        &**name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "section"
            | "article"
            | "blockquote"
            | "pre"
            | "hr"
            | "dd"
            | "dt"
            | "figure"
            | "figcaption"
            | "header"
            | "footer"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(shape: &str, times: usize) -> String {
        format!("<p>前言</p>{}<p>正文</p>", shape.repeat(times))
    }

    #[test]
    fn the_bypass_shapes_are_cut_by_the_parsers_own_depth() {
        for shape in ["<div/>", "<div></x>", "<div><span/>", "<b><i><u><s>x"] {
            let html = nested(shape, 2_000);
            assert_eq!(fragment_fits(&html), Err(Cut::TooDeep), "{shape}");
        }
        // An unclosed quote after a stray `<` is text to the parser, not an attribute.
        let html = format!("<p>a < \"b</p>{}", "<div>".repeat(2_000));
        assert_eq!(fragment_fits(&html), Err(Cut::TooDeep));
    }

    #[test]
    fn real_documents_fit() {
        let list = format!(
            "<ul>{}</ul><table>{}</table>",
            "<li><a href=\"/a\">条目</a> <em>1</em>".repeat(3_000),
            "<tr><td>1<td>2".repeat(1_000)
        );
        assert_eq!(fragment_fits(&list), Ok(()));
        let deep = "<div>".repeat(MAX_NESTING - 10);
        assert_eq!(fragment_fits(&deep), Ok(()));
        let too_deep = "<div>".repeat(MAX_NESTING + 10);
        assert_eq!(fragment_fits(&too_deep), Err(Cut::TooDeep));
    }

    #[test]
    fn nested_templates_do_not_start_over() {
        let html = "<template><div>".repeat(MAX_NESTING);
        assert_eq!(fragment_fits(&html), Err(Cut::TooDeep));
    }

    #[test]
    fn a_passed_deadline_stops_the_parse() {
        let html = "<p>段落</p>".repeat(10_000);
        let _deadline = Deadline::set(Instant::now() - std::time::Duration::from_secs(1));
        assert_eq!(fragment_fits(&html), Err(Cut::OutOfTime));
        drop(_deadline);
        assert_eq!(fragment_fits(&html), Ok(()));
    }

    #[test]
    fn a_cut_document_keeps_its_text_in_paragraphs() {
        let html = format!(
            "<p>TikTok Shop 美区</p><script>alert(1)</script><style>p{{}}</style>{}<b>正文 &amp; 结尾</b>",
            "<div/>".repeat(3)
        );
        assert_eq!(
            flattened(&html),
            "<p>TikTok Shop 美区</p><p>正文 &amp; 结尾</p>"
        );
    }

    #[test]
    fn a_document_parses_into_a_real_tree_within_the_budget() {
        let html = "<html><body><ul class=\"list\"><li>一</li><li>二</li></ul></body></html>";
        let doc = document(
            scraper::HtmlTreeSink::new(scraper::Html::new_document()),
            html,
            ParseOpts::default(),
        )
        .unwrap();
        let li = scraper::Selector::parse("ul.list > li").unwrap();
        assert_eq!(doc.select(&li).count(), 2);
        let deep = format!("<html><body>{}</body></html>", "<div></x>".repeat(5_000));
        let cut = document(
            scraper::HtmlTreeSink::new(scraper::Html::new_document()),
            &deep,
            ParseOpts::default(),
        );
        assert_eq!(cut.err(), Some(Cut::TooDeep));
    }
}
