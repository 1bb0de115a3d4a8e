//! The ImageNet-1k class names, in class-index order (timm's
//! `ImageNetInfo().index_to_description`).

/// One line per class, index order.
pub const IMAGENET_CLASSES: &str = include_str!("imagenet_classes.txt");

/// The name of ImageNet-1k class `index`, or `None` past the last class.
pub fn imagenet_class_name(index: usize) -> Option<&'static str> {
    IMAGENET_CLASSES.lines().nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_thousand_classes() {
        assert_eq!(IMAGENET_CLASSES.lines().count(), 1000);
        assert_eq!(imagenet_class_name(0), Some("tench, Tinca tinca"));
        assert_eq!(imagenet_class_name(281), Some("tabby, tabby cat"));
        assert_eq!(imagenet_class_name(1000), None);
    }
}
